"""The Strawberry schema: GraphQL types and operations that call the resolvers."""

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from edge.authentication import authenticate_connection
from edge.refusals import RETRY_AFTER, graphql_extensions
from resolvers import messages
from resolvers.errors import AppError, BadRequest
from schema.api_keys import ApiKeyMutation, ApiKeyQuery
from schema.audit import AuditQuery, OperationRecorder
from schema.context import Context, get_context
from schema.cost import QueryCost
from schema.errors import ErrorMapping, log_unexpected
from schema.invitations import InvitationMutation, InvitationQuery
from schema.kpi import KpiMutation
from schema.kpi_reports import KpiReportQuery
from schema.kpi_updates import KpiSubscription
from schema.me import MeQuery
from schema.money import MONEY_SCALAR, Money
from schema.persisted import resolved_query
from schema.sessions import SessionMutation, SessionQuery
from schema.stores import StoreMutation, StoreQuery
from schema.timestamps import DATETIME_SCALAR
from schema.users import Gerant, Manager, Seller, UserMutation, UserQuery

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
CACHED_DOCUMENTS = 256
# A page follows a few stores' figures; each subscription holds a queue and a check a second.
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
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

Subscription = merge_types("Subscription", (KpiSubscription,))


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None):  # type: ignore[no-untyped-def]
        log_unexpected(errors, execution_context)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    # Every kind of user, though fields return the interface: a gérant can be updated.
    types=[Gerant, Manager, Seller],
    config=StrawberryConfig(scalar_map={Money: MONEY_SCALAR, datetime: DATETIME_SCALAR}),
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


def refused_result(error: AppError) -> ExecutionResult:
    """An answer refused before execution, in the shape of GraphQL's other errors."""
    return ExecutionResult(
        data=None, errors=[GraphQLError(error.message, extensions=graphql_extensions(error))]
    )


class Router(GraphQLRouter[Context, None]):
    """Strawberry's router, refusing with a 400 what is not one GraphQL request as JSON, and
    showing browsers the GraphiQL page the shell gives it."""

    def __init__(self, ide_page: Callable[[], HTMLResponse], **options: Any) -> None:
        super().__init__(schema, **options)
        self.ide_page = ide_page

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Run the request's document, or the persisted one its hash names (Strawberry's own
        execute_single, with persisted queries and without subscriptions)."""
        del request
        try:
            query = resolved_query(
                request_data,
                context.services.persisted_queries,
                may_register=context.request_context.actor is not None,
            )
        except AppError as refused:
            return refused_result(refused)
        # A subscription's stream cannot be one JSON answer: over plain HTTP it is refused.
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            result = await self.schema.execute(
                query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as refused:
            if refused.operation_type is OperationType.SUBSCRIPTION:
                return refused_result(BadRequest(messages.SUBSCRIPTION_OVER_WEBSOCKET))
            raise HTTPException(400, refused.as_http_error_reason(request_adapter.method)) from None
        except CannotGetOperationTypeError as refused:
            raise HTTPException(400, refused.as_http_error_reason()) from None
        except MissingQueryError:
            raise HTTPException(400, messages.GRAPHQL_QUERY_MISSING) from None
        # As a refusal at the edge does: an error saying when to retry says it in HTTP too.
        waits = [(error.extensions or {}).get(RETRY_AFTER) for error in result.errors or ()]
        seconds = [wait for wait in waits if isinstance(wait, int)]
        if seconds:
            sub_response.headers["Retry-After"] = str(max(seconds))
        return result

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        del request  # the same page for every browser
        return self.ide_page()

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws `connection_init`: its payload's credentials authenticate the
        connection; without a caller accepted it closes with 4403 (Forbidden)."""
        if await authenticate_connection(context.scope, context.connection_params or {}) is None:
            raise ConnectionRejectionError
        return UnsetType()  # acknowledged without a payload

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = json.loads(data)
        except RecursionError:
            raise HTTPException(400, messages.BODY_TOO_DEEP) from None
        if not isinstance(decoded, dict | list):  # a list is a batch, refused as such
            raise HTTPException(400, messages.GRAPHQL_BODY_NOT_OBJECT)
        return decoded


def graphql_router(ide_page: Callable[[], HTMLResponse]) -> Router:
    """The /graphql router: GraphQL over HTTP and websockets, and `ide_page` for browsers."""
    return Router(
        ide_page,
        context_getter=get_context,
        graphql_ide="graphiql",
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
    )
