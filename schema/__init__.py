"""The Strawberry schema: GraphQL types and operations that call the resolvers."""

import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import datetime
from functools import lru_cache
from typing import Any

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from graphql import GraphQLError, parse
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import validate_document
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from contract import messages
from contract.errors import AppError, BadRequest
from edge.authentication import authenticate_connection
from edge.refusals import RETRY_AFTER, graphql_extensions
from schema.api_keys import ApiKeyMutation, ApiKeyQuery
from schema.audit import AuditQuery, OperationRecorder
from schema.context import Context, get_context
from schema.cost import QueryCost
from schema.errors import ErrorMapping, log_unexpected
from schema.events import EventQuery
from schema.invitations import InvitationMutation, InvitationQuery
from schema.kpi import KpiMutation
from schema.kpi_imports import KpiImportMutation, KpiImportQuery
from schema.kpi_reports import KpiReportQuery
from schema.kpi_updates import KpiSubscription
from schema.me import MeQuery
from schema.money import MONEY_SCALAR, Money
from schema.persisted import resolved_query
from schema.sessions import SessionMutation, SessionQuery
from schema.stores import StoreMutation, StoreQuery
from schema.timestamps import DATETIME_SCALAR
from schema.users import Gerant, Manager, Seller, UserMutation, UserQuery
from schema.webhooks import WebhookMutation, WebhookQuery

# Every GET answer depends on the caller's credential (never share it) and on Accept (the page
# or JSON); figures change with every sync, so no copy is kept either.
GET_HEADERS = {"Cache-Control": "private, no-store", "Vary": "Accept"}
BROWSER_NAVIGATION = "text/html"
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
CACHED_DOCUMENTS = 256
# A page follows a few stores' figures; each subscription holds a queue and a check a second.
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
# graphql-transport-ws's code for "too many" (Strawberry's, for a second connection_init).
CONNECTIONS_LIMITED_CLOSE_CODE = 4429
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
        EventQuery,
        WebhookQuery,
        KpiImportQuery,
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
        WebhookMutation,
        KpiImportMutation,
    ),
)

Subscription = merge_types("Subscription", (KpiSubscription,))


# Integrations send the same few documents over and over: each is parsed and validated once
# (a document is at most MAX_TOKENS long, so the caches stay small).
parse_document = lru_cache(maxsize=CACHED_DOCUMENTS)(parse)
validate_rules = lru_cache(maxsize=CACHED_DOCUMENTS)(validate_document)


class Documents(SchemaExtension):
    """Each document parsed at most MAX_TOKENS long and validated with the depth and alias
    limits, each once (one extension: Strawberry runs each one's hooks on every request)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = (*context.validation_rules, *LIMIT_RULES)
        yield

    def on_parse(self) -> Iterator[None]:
        """A document that does not parse is left to Strawberry's own parsing, which answers
        its syntax error as every other error (the cache's would escape)."""
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = parse_document(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            context.pre_execution_errors = validate_rules(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
        yield


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
        Documents,
    ],
)


def refused_result(error: AppError) -> ExecutionResult:
    """An answer refused before execution, in the shape of GraphQL's other errors."""
    return ExecutionResult(
        data=None, errors=[GraphQLError(error.message, extensions=graphql_extensions(error))]
    )


class ConnectionsLimitedError(Exception):
    """The caller holds as many websocket connections as he may; the message says so."""


class TransportWsHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws as Strawberry speaks it, closing a connection over its caller's
    cap with CONNECTIONS_LIMITED_CLOSE_CODE, and freeing its slot when it ends."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionsLimitedError as limited:
            await self.websocket.close(code=CONNECTIONS_LIMITED_CLOSE_CODE, reason=str(limited))

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            await self.context.release_connection()


class Router(GraphQLRouter[Context, None]):
    """Strawberry's router, refusing with a 400 what is not one GraphQL request as JSON, and
    showing browsers the GraphiQL page the shell gives it."""

    graphql_transport_ws_handler_class = TransportWsHandler

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
            return refused_result(BadRequest(messages.MUTATION_OVER_GET))
        except CannotGetOperationTypeError as refused:
            return refused_result(BadRequest(refused.as_http_error_reason()))
        except MissingQueryError:
            return refused_result(BadRequest(messages.GRAPHQL_QUERY_MISSING))
        # As a refusal at the edge does: an error saying when to retry says it in HTTP too.
        waits = [(error.extensions or {}).get(RETRY_AFTER) for error in result.errors or ()]
        seconds = [wait for wait in waits if isinstance(wait, int)]
        if seconds:
            sub_response.headers["Retry-After"] = str(max(seconds))
        return result

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Only a browser's navigation gets GraphiQL: its Accept begins with text/html.

        Strawberry shows the page to any GET without `query` whose Accept merely contains
        text/html or `*/*` (httpx's and many clients' default), so a persisted query sent by
        GET, which names its document by hash only, got HTML instead of running.
        """
        accept = request.headers.get("accept", "").lstrip().lower()
        return (
            request.method == "GET"
            and request.query_params.get("query") is None
            and accept.startswith(BROWSER_NAVIGATION)
        )

    async def get_sub_response(self, request: Request) -> Response:
        """The response the answer's headers are taken from: a GET's carries GET_HEADERS."""
        response = await super().get_sub_response(request)
        if request.method == "GET":
            response.headers.update(GET_HEADERS)
        return response

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        del request  # the same page for every browser
        page = self.ide_page()
        page.headers.update(GET_HEADERS)
        return page

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws `connection_init`: its payload's credentials authenticate the
        connection; without a caller accepted it closes with 4403 (Forbidden), and when the
        caller holds all the connections he may, with 4429."""
        if await authenticate_connection(context.scope, context.connection_params or {}) is None:
            raise ConnectionRejectionError
        if not await context.hold_connection():
            limit = context.services.connection_slots.limit
            raise ConnectionsLimitedError(messages.CONNECTIONS_LIMITED.format(limit=limit))
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
