"""The Strawberry schema: GraphQL types and operations that call the resolvers."""

import json

import strawberry
from cross_web import HTTPException
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers import messages
from schema.api_keys import ApiKeyMutation, ApiKeyQuery
from schema.audit import AuditQuery, OperationRecorder
from schema.context import get_context
from schema.cost import QueryCost
from schema.errors import ErrorMapping, log_unexpected
from schema.invitations import InvitationMutation, InvitationQuery
from schema.kpi import KpiMutation
from schema.kpi_reports import KpiReportQuery
from schema.me import MeQuery
from schema.money import MONEY_SCALAR, Money
from schema.sessions import SessionMutation, SessionQuery
from schema.stores import StoreMutation, StoreQuery
from schema.users import UserMutation, UserQuery

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
CACHED_DOCUMENTS = 256
# Built once, so the validation cache sees the same rules on every request.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]

Query = merge_types(
    "Query",
    (
        MeQuery,
        SessionQuery,
        StoreQuery,
        UserQuery,
        ApiKeyQuery,
        AuditQuery,
        KpiReportQuery,
        InvitationQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        StoreMutation,
        UserMutation,
        KpiMutation,
        SessionMutation,
        ApiKeyMutation,
        InvitationMutation,
    ),
)


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None):  # type: ignore[no-untyped-def]
        log_unexpected(errors, execution_context)


schema = Schema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(scalar_map={Money: MONEY_SCALAR}),
    extensions=[
        ErrorMapping,
        OperationRecorder,
        QueryCost,
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        # Integrations send the same few documents over and over: validate each once.
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
    ],
)


class Router(GraphQLRouter[object, None]):
    """Strawberry's router, refusing with a 400 what is not one GraphQL request as JSON."""

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = json.loads(data)
        except RecursionError:
            raise HTTPException(400, messages.BODY_TOO_DEEP) from None
        if not isinstance(decoded, dict | list):  # a list is a batch, refused as such
            raise HTTPException(400, messages.GRAPHQL_BODY_NOT_OBJECT)
        return decoded


def graphql_router() -> Router:
    """The /graphql router, GraphiQL included for browsers."""
    return Router(schema, context_getter=get_context, graphql_ide="graphiql")
