"""GraphQL: the gérant's view of the audit trail, and the recording of which operation ran."""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import FieldNode, get_operation_ast
from strawberry.extensions import SchemaExtension

from contract.validation import parse
from edge.outcome import request_outcome
from models import AuditRecord
from resolvers import audit
from schema.access import GerantSession
from schema.common import Connection, connection
from schema.context import Context, Info


class OperationRecorder(SchemaExtension):
    """Names the operation that runs (`mutation createApiKey`), the one `operationName` picks in
    a document of several, in the request's outcome for the audit."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        definition = (
            get_operation_ast(document, context.operation_name) if document is not None else None
        )
        if definition is not None and isinstance(context.context, Context):
            fields = [
                selection.name.value
                for selection in definition.selection_set.selections
                if isinstance(selection, FieldNode)
            ]
            operation = f"{definition.operation.value} {','.join(fields)}"[:255]
            request_outcome(context.context.scope).operation = operation
        yield


@strawberry.type
class ApiCall:
    id: strawberry.ID
    time: datetime
    key_id: str | None
    key_prefix: str | None
    method: str
    path: str
    operation: str | None
    status: int
    latency_ms: float
    request_id: str
    client_ip: str | None
    user_agent: str | None
    idempotency_key: str | None
    auth_failure: str | None


@strawberry.input
class ApiCallFilter:
    status: int | None = None
    key_id: str | None = None
    from_: datetime | None = strawberry.field(name="from", default=None)
    to: datetime | None = None


@strawberry.type
class AuthFailureGroup:
    reason: str
    client_ip: str | None
    count: int
    last_at: datetime


def api_call(record: AuditRecord) -> ApiCall:
    return ApiCall(
        id=strawberry.ID(record.id),
        time=record.time,
        key_id=record.key_id,
        key_prefix=record.key_prefix,
        method=record.method,
        path=record.path,
        operation=record.operation,
        status=record.status,
        latency_ms=record.latency_ms,
        request_id=record.request_id,
        client_ip=record.client_ip,
        user_agent=record.user_agent,
        idempotency_key=record.idempotency_key,
        auth_failure=record.auth_failure,
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The tenant's API calls, newest first (gérant session).",
        permission_classes=[GerantSession],
    )
    async def api_call_log(
        self,
        info: Info,
        filter: ApiCallFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[ApiCall]:
        given = filter or ApiCallFilter()
        call_filter = parse(
            audit.CallFilter,
            {
                "status": given.status,
                "key_id": given.key_id,
                "since": given.from_,
                "until": given.to,
            },
        )
        page = await audit.api_call_log(
            actor=info.context.actor(), filter=call_filter, first=first, after=after
        )
        return connection(page, api_call)

    @strawberry.field(
        description="Refused calls (401/403) grouped by reason and client IP.",
        permission_classes=[GerantSession],
    )
    async def auth_failures(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[AuthFailureGroup]:
        period = parse(audit.TimeRange, {"since": from_, "until": to})
        groups = await audit.auth_failures(actor=info.context.actor(), period=period)
        return [
            AuthFailureGroup(
                reason=g.reason, client_ip=g.client_ip, count=g.count, last_at=g.last_at
            )
            for g in groups
        ]
