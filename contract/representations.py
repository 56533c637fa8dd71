"""The resources as the REST API renders them: one shape shared by the REST responses and the
event log's `data.object`, so an event shows a resource exactly as a read of it would."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from models import ApiKey as ApiKeyDocument
from models import Event as EventDocument
from models import Invitation as InvitationDocument
from models import KpiImport as KpiImportDocument
from models import Store as StoreDocument
from models import User as UserDocument
from models.clock import timestamp_text

# Timestamps and days are strings on the wire; their formats let generated clients parse them.
Timestamp = Annotated[
    str,
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2024-01-15T10:00:00Z"]}),
]
Day = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date", "examples": ["2024-01-15"]})
]


def iso_utc(value: datetime | None) -> str | None:
    """`2024-01-15T10:00:00Z`, the timestamp form the spec shows."""
    if value is None:
        return None
    return timestamp_text(value)


def timestamp(value: datetime) -> str:
    """A timestamp that is always set, in the spec's form."""
    return timestamp_text(value)


class Store(BaseModel):
    """A store; `active: false` once closed (its history is kept)."""

    id: str
    name: str
    location: str
    address: str | None
    phone: str | None
    opening_hours: str | None
    gerant_id: str
    active: bool
    created_at: Timestamp
    external_id: str | None = Field(description="The store's id in the integrator's system")
    updated_at: Timestamp = Field(
        description="When the store last changed (creation, update, closing or reopening)"
    )


def store_out(store: StoreDocument) -> Store:
    return Store(
        id=store.id,
        name=store.name,
        location=store.location,
        address=store.address,
        phone=store.phone,
        opening_hours=store.opening_hours,
        gerant_id=store.gerant_id,
        active=store.active,
        created_at=timestamp(store.created_at),
        external_id=store.external_id,
        updated_at=timestamp(store.updated_at),
    )


EXTERNAL_ID = Field(description="The person's id in the integrator's system")


class User(BaseModel):
    """A manager or seller as the staff lookup lists him."""

    id: str
    name: str
    email: str
    role: str = Field(description="`manager` or `seller`")
    status: str = Field(description="`active`, `suspended` or `deleted`")
    phone: str | None
    store_id: str | None
    manager_id: str | None = Field(description="A seller's manager; null for managers")
    external_id: str | None = EXTERNAL_ID
    created_at: Timestamp
    updated_at: Timestamp = Field(
        description="When the person last changed (update, deletion, suspension with his "
        "store, password set)"
    )


def user_out(user: UserDocument) -> User:
    return User(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role.value,
        status=user.status.value,
        phone=user.phone,
        store_id=user.store_id,
        manager_id=user.manager_id,
        external_id=user.external_id,
        created_at=timestamp(user.created_at),
        updated_at=timestamp(user.updated_at),
    )


class ApiKeyInfo(BaseModel):
    id: str
    name: str
    prefix: str
    permissions: list[str]
    store_ids: list[str] | None
    expires_at: Timestamp | None
    created_at: Timestamp
    last_used_at: Timestamp | None


def api_key_out(key: ApiKeyDocument) -> ApiKeyInfo:
    """A key as GET /me describes it: never the key itself (only its hash is stored)."""
    return ApiKeyInfo(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        permissions=key.permissions,
        store_ids=key.store_ids,
        expires_at=iso_utc(key.expires_at),
        created_at=timestamp(key.created_at),
        last_used_at=iso_utc(key.last_used_at),
    )


class Invitation(BaseModel):
    """A manager's or seller's invitation (REST has no invitation endpoint: its events show
    it in the REST forms of its fields)."""

    id: str
    user_id: str
    email: str
    status: str = Field(description="`pending`, `sending`, `sent`, `failed` or `accepted`")
    created_at: Timestamp
    accepted_at: Timestamp | None


def invitation_out(invitation: InvitationDocument) -> Invitation:
    return Invitation(
        id=invitation.id,
        user_id=invitation.user_id,
        email=invitation.email,
        status=invitation.status.value,
        created_at=timestamp(invitation.created_at),
        accepted_at=iso_utc(invitation.accepted_at),
    )


class KpiSyncedDay(BaseModel):
    """What one sync did to a store's day: entries created and updated, and the day's
    checksum afterwards (the reconciliation's, GET /kpi)."""

    store_id: str
    date: Day
    created: int
    updated: int
    checksum: str


class KpiImport(BaseModel):
    """An import job as GET /kpi/imports/{id} shows it, and its `kpi_import.completed` event."""

    id: str
    status: str = Field(description="`queued`, `running`, `completed` or `failed`")
    lines: int = Field(description="The file's lines of entries (a CSV's header aside)")
    lines_done: int = Field(description="Lines written or refused so far")
    entries_created: int
    entries_updated: int
    errors: int = Field(description="Lines refused: GET /kpi/imports/{id}/errors lists them")
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None


def kpi_import_out(job: KpiImportDocument) -> KpiImport:
    return KpiImport(
        id=job.id,
        status=job.status.value,
        lines=job.lines,
        lines_done=job.lines_done,
        entries_created=job.entries_created,
        entries_updated=job.entries_updated,
        errors=job.errors,
        created_at=timestamp(job.created_at),
        started_at=iso_utc(job.started_at),
        finished_at=iso_utc(job.finished_at),
    )


def previous_attributes(before: BaseModel, after: BaseModel) -> dict[str, Any]:
    """The fields `after` changed, with their values in `before` (REST form); `updated_at`
    aside, which every change moves (to the second: some changes would list it, some not)."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {
        name: value
        for name, value in old.items()
        if name != "updated_at" and new.get(name) != value
    }


def event_json(event: EventDocument) -> dict[str, Any]:
    """An event as the feed and webhooks carry it: `data.object` the resource as REST renders
    it, `data.previous_attributes` only for the events that stored it (updates)."""
    data: dict[str, Any] = {"object": event.data["object"]}
    if "previous_attributes" in event.data:
        data["previous_attributes"] = event.data["previous_attributes"]
    return {
        "id": event.id,
        "type": event.type,
        "created_at": timestamp(event.created_at),
        "data": data,
    }
