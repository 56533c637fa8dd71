"""Staff of a tenant: creating managers and sellers in a store, listing and looking them up,
updating and soft-deleting users."""

from typing import Annotated, Any, Literal

from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import AfterValidator, EmailStr, Field, StringConstraints, field_validator
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound, duplicate_key_fields
from contract.event_types import EventType
from contract.inputs import (
    MAX_ID,
    MAX_TEXT,
    ExternalId,
    Identifier,
    Input,
    Instant,
    Name,
    OneLine,
    Phone,
    omittable,
)
from contract.permissions import Permission
from contract.representations import invitation_out, previous_attributes, user_out
from infra.event_log import DEFAULT_EVENT_LOG, EventLog
from models import Role, Store, User, UserStatus
from models.clock import utcnow
from models.operations import insert_once
from models.transactions import run_in_transaction
from models.user import NOT_DELETED, UPDATED_INDEX, email_key
from resolvers import scopes
from resolvers.events import new_event, record, record_all
from resolvers.invitations import logger as invitation_logger
from resolvers.invitations import new_invitation
from resolvers.pagination import Page, check_page_size, decode_cursor, page_of
from resolvers.stores import get_active_store, get_tenant_store

UpdatableStatus = Annotated[Literal["active", "suspended"], AfterValidator(UserStatus)]


class ManagerCreate(Input):
    name: Name
    email: EmailStr
    phone: Phone | None = None
    external_id: ExternalId | None = None
    send_invitation: bool = True


class SellerCreate(ManagerCreate):
    manager_id: Annotated[str, StringConstraints(max_length=MAX_ID), OneLine] | None = None


class UserUpdate(Input):
    """The whitelist of updatable fields; only the fields present in the payload are applied."""

    name: Name | None = Field(default=None, json_schema_extra=omittable)
    phone: Phone | None = None
    status: UpdatableStatus | None = Field(default=None, json_schema_extra=omittable)
    external_id: ExternalId | None = None

    @field_validator("name", "status")
    @classmethod
    def not_null(cls, value: object) -> object:
        """A name or status may be left out, never cleared."""
        if value is None:
            raise ValueError(messages.FIELD_NOT_NULLABLE)
        return value


class UserFilter(Input):
    """Which staff to list; every given condition must hold."""

    store_id: Identifier | None = Field(default=None, description="Staff of this store")
    role: Literal["manager", "seller"] | None = None
    status: Literal["active", "suspended", "deleted"] | None = Field(
        default=None, description="Default: every status, deleted users included"
    )
    external_id: ExternalId | None = Field(
        default=None, description="The user with this external_id (and deleted ones who had it)"
    )
    email: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT), OneLine]
        | None
    ) = Field(default=None, description="The user with this email, ignoring case")
    updated_since: Instant | None = Field(
        default=None,
        description="Only the users whose updated_at is at or after this moment (ISO 8601, "
        "`Z` or an offset): the latest updated_at you have seen",
        examples=["2024-01-15T10:00:00Z"],
    )


def duplicate_user(exc: DuplicateKeyError) -> BadRequest:
    """The 400 a unique index on users answers with: a taken email or external id."""
    fields = duplicate_key_fields(exc)
    if "email_key" in fields:
        return BadRequest(messages.EMAIL_TAKEN)
    if "external_id" in fields:
        return BadRequest(messages.USER_EXTERNAL_ID_TAKEN)
    raise exc


async def insert_user(user: User, events: EventLog = DEFAULT_EVENT_LOG) -> User:
    """Insert a new user; the unique indexes turn a taken email or external id into a 400.

    With `send_invitation`, the invitation is queued in the outbox in the same transaction (the
    email is sent in the background, never during the request), with its `invitation.sent`
    event beside the user's `user.created`.
    """
    invitation = new_invitation(user) if user.send_invitation else None

    async def created(session: AsyncIOMotorClientSession) -> None:
        recorded = [
            new_event(
                log=events,
                gerant_id=user.gerant_id,
                type=EventType.USER_CREATED,
                resource=user_out(user),
            )
        ]
        if invitation is not None:
            recorded.append(
                new_event(
                    log=events,
                    gerant_id=user.gerant_id,
                    type=EventType.INVITATION_SENT,
                    resource=invitation_out(invitation),
                )
            )
        await record_all(session, recorded)

    companions = [] if invitation is None else [invitation]
    try:
        stored = await insert_once(user, companions=companions, then=created)
    except DuplicateKeyError as exc:
        raise duplicate_user(exc) from None
    if invitation is not None and stored is user:
        invitation_logger.info(
            "invitation %s for user %s <%s> queued", invitation.id, user.id, user.email
        )
    return stored


def new_staff(actor: Actor, role: Role, store: Store, data: ManagerCreate) -> User:
    return User(
        gerant_id=actor.gerant_id,
        role=role,
        name=data.name,
        email=data.email,
        email_key=email_key(data.email),
        phone=data.phone,
        store_id=store.id,
        external_id=data.external_id,
        send_invitation=data.send_invitation,
    )


def active_managers(actor: Actor, store: Store) -> dict[str, Any]:
    """The filter of the active managers of `store` in the actor's tenant."""
    return scopes.users(
        actor.gerant_id,
        store_id=store.id,
        role=Role.MANAGER.value,
        status=UserStatus.ACTIVE.value,
    )


async def create_manager(
    *, actor: Actor, store_id: str, data: ManagerCreate, events: EventLog = DEFAULT_EVENT_LOG
) -> User:
    """Create a manager in an active store of the tenant; emails are unique across all users."""
    actor.require(Permission.USERS_WRITE)
    store = await get_active_store(actor=actor, store_id=store_id)
    return await insert_user(new_staff(actor, Role.MANAGER, store, data), events)


async def store_manager_id(*, actor: Actor, store: Store, manager_id: str | None) -> str | None:
    """The given manager if active in `store` (else 404), or the store's earliest active one."""
    if manager_id is not None:
        manager = await User.find_one({"_id": manager_id, **active_managers(actor, store)})
        if manager is None:
            raise NotFound(messages.MANAGER_NOT_FOUND_IN_STORE)
        return manager.id
    earliest = (
        await User.find(active_managers(actor, store)).sort("created_at", "_id").first_or_none()
    )
    return earliest.id if earliest else None


async def create_seller(
    *, actor: Actor, store_id: str, data: SellerCreate, events: EventLog = DEFAULT_EVENT_LOG
) -> User:
    """Create a seller in an active store, under the given or an automatically chosen manager."""
    actor.require(Permission.USERS_WRITE)
    store = await get_active_store(actor=actor, store_id=store_id)
    seller = new_staff(actor, Role.SELLER, store, data)
    seller.manager_id = await store_manager_id(actor=actor, store=store, manager_id=data.manager_id)
    return await insert_user(seller, events)


async def list_sellers(
    *, actor: Actor, store_id: str | None, first: int, after: str | None
) -> Page[User]:
    """The sellers (deleted ones excepted) of one store or of every store the caller reads,
    oldest first, `first` at a time after the user id `after`; for logged-in gérants and
    managers (a manager reads only his store)."""
    actor.require(Permission.STORES_READ)
    actor.require_user_session()
    check_page_size(first)
    query = scopes.readable_staff(actor)
    query["role"] = Role.SELLER.value
    query["status"] = NOT_DELETED
    if store_id is not None:
        query["store_id"] = (await get_tenant_store(actor=actor, store_id=store_id)).id
    if after is not None:
        query["_id"] = {"$gt": after}
    found = await User.find(query).sort("_id").limit(first + 1).to_list()
    return page_of(found, first, user_key)


def user_key(user: User) -> tuple[str]:
    """Where a user stands in a page of users: ids are time-ordered, so oldest first."""
    return (user.id,)


def after_cursor(cursor: str | None) -> str | None:
    """The user id an opaque `after` cursor of a users page holds."""
    return None if cursor is None else decode_cursor(cursor, 1)[0]


async def list_users(
    *, actor: Actor, filter: UserFilter, first: int, after: str | None
) -> Page[User]:
    """Managers and sellers matching `filter`, deleted ones included unless filtered out,
    oldest first (ids are time-ordered), `first` at a time after the user id `after`."""
    actor.require(Permission.USERS_READ)
    check_page_size(first)
    query = scopes.readable_staff(actor)
    if filter.store_id is not None:
        query["store_id"] = (await get_tenant_store(actor=actor, store_id=filter.store_id)).id
    if filter.role is not None:
        query["role"] = filter.role
    if filter.status is not None:
        query["status"] = filter.status
    if filter.external_id is not None:
        query["external_id"] = filter.external_id
    if filter.email is not None:
        query["email_key"] = email_key(filter.email)
    if filter.updated_since is not None:
        # Inclusive, as for stores (resolvers/stores.py says why).
        query["updated_at"] = {"$gte": filter.updated_since}
    if after is not None:
        query["_id"] = {"$gt": after}
    cursor = User.get_motor_collection().find(query).sort("_id").limit(first + 1)
    if filter.updated_since is not None:
        # SecantusDB's planner scans the collection for `updated_at` beside other conditions
        # on indexed fields: name the index (the changed users are the few to read).
        cursor = cursor.hint(UPDATED_INDEX)
    found = [User.model_validate(document) async for document in cursor]
    return page_of(found, first, user_key)


class StaffFilter(Input):
    """Which of a store's managers or sellers to list: by status, deleted ones excepted unless
    asked for."""

    status: UserStatus | None = None


async def store_staff(
    *,
    actor: Actor,
    role: Role,
    store_ids: list[str],
    filter: StaffFilter,
    first: int,
    after: str | None,
) -> dict[str, Page[User]]:
    """The managers or sellers (`role`) of each store, a page each, oldest first after the user
    id `after`: for each store, the page `list_users` gives for that store and role alone, but
    without deleted users unless `filter.status` asks for them (permission users:read; a store
    outside the caller's scope is a 403). One query for all the stores."""
    actor.require(Permission.USERS_READ)
    check_page_size(first)
    for store_id in store_ids:
        actor.require_store(store_id)
    query = scopes.readable_staff(actor)
    query["store_id"] = {"$in": sorted(set(store_ids))}
    query["role"] = role.value
    query["status"] = NOT_DELETED if filter.status is None else filter.status.value
    if after is not None:
        query["_id"] = {"$gt": after}
    pipeline: list[dict[str, Any]] = [
        {"$match": query},
        {"$sort": {"store_id": 1, "_id": 1}},
        {"$group": {"_id": "$store_id", "users": {"$push": "$$ROOT"}}},
        # Each store's page and one more user, to tell whether another page follows.
        {"$project": {"users": {"$slice": ["$users", first + 1]}}},
    ]
    # One reply for every store (the server's first reply stops at 101 documents otherwise).
    cursor = User.get_motor_collection().aggregate(pipeline, batchSize=len(store_ids) + 1)
    groups = await cursor.to_list(None)
    found = {
        group["_id"]: [User.model_validate(document) for document in group["users"]]
        for group in groups
    }
    return {store_id: page_of(found.get(store_id, []), first, user_key) for store_id in store_ids}


async def staff_by_ids(*, actor: Actor, user_ids: list[str]) -> dict[str, User]:
    """The managers and sellers among `user_ids` that the caller may read (permission
    users:read; deleted ones included: a seller's manager stays his), by id, in one query."""
    actor.require(Permission.USERS_READ)
    query = scopes.readable_staff(actor)
    query["_id"] = {"$in": sorted(set(user_ids))}
    return {user.id: user for user in await User.find(query).to_list()}


async def get_tenant_user(*, actor: Actor, user_id: str) -> User:
    """The user `user_id` of the actor's tenant; 404 if unknown or another tenant's (ids are
    sequential: a distinct answer would tell which ids exist elsewhere)."""
    user = await User.find_one(scopes.users(actor.gerant_id, _id=user_id))
    if user is None:
        raise NotFound(messages.USER_NOT_FOUND)
    return user


async def get_staff_user(*, actor: Actor, user_id: str) -> User:
    """One manager or seller as `list_users` would list him, deleted or not (permission
    users:read): 404 if the tenant has no such staff member (the gérant is not one), 403 if
    his store is outside the caller's, as an update of him answers."""
    actor.require(Permission.USERS_READ)
    user = await User.find_one(scopes.staff(actor.gerant_id, _id=user_id))
    if user is None:
        raise NotFound(messages.USER_NOT_FOUND)
    actor.require_store(user.store_id)
    return user


def require_user_in_scope(actor: Actor, user: User) -> None:
    """Raise 403 unless a store-restricted key covers the user's store (the gérant has none)."""
    if not actor.is_store_restricted:
        return
    if user.store_id is None:
        if user.id != actor.gerant_id:
            raise Forbidden(messages.USER_WITHOUT_STORE)
        return
    actor.require_store(user.store_id)


async def require_open_store(actor: Actor, store_id: str) -> None:
    """400 if the store is closed: its staff stay suspended until it is reopened."""
    store = await Store.find_one(scopes.stores(actor.gerant_id, _id=store_id))
    if store is not None and not store.active:
        raise BadRequest(messages.STORE_INACTIVE)


async def _change_user(
    session: AsyncIOMotorClientSession, which: dict[str, Any], changes: dict[str, Any]
) -> User | None:
    """Apply `changes` to the user matching `which` (a tenant's scope); the user as it was."""
    before = await User.get_motor_collection().find_one_and_update(
        which, {"$set": changes}, return_document=ReturnDocument.BEFORE, session=session
    )
    return None if before is None else User.model_validate(before)


async def update_user(
    *, actor: Actor, user_id: str, data: UserUpdate, events: EventLog = DEFAULT_EVENT_LOG
) -> User:
    """Apply the whitelisted fields present in `data`; returns the updated user."""
    actor.require(Permission.USERS_WRITE)
    if not data.model_fields_set:
        raise BadRequest(messages.NO_FIELDS_TO_UPDATE)
    user = await get_tenant_user(actor=actor, user_id=user_id)
    if user.status is UserStatus.DELETED:
        raise BadRequest(messages.USER_DELETED_CANNOT_UPDATE)
    require_user_in_scope(actor, user)
    if user.role is Role.GERANT and "status" in data.model_fields_set:
        raise Forbidden(messages.GERANT_STATUS_LOCKED)
    if data.status == UserStatus.ACTIVE.value and user.store_id is not None:
        await require_open_store(actor, user.store_id)
    changes = {**data.model_dump(include=data.model_fields_set), "updated_at": utcnow()}

    async def apply(session: AsyncIOMotorClientSession) -> User:
        before = await _change_user(session, scopes.users(actor.gerant_id, _id=user.id), changes)
        if before is None:
            raise NotFound(messages.USER_NOT_FOUND)
        after: User = before.model_copy(update=changes)
        after.status = UserStatus(after.status)
        await record(
            session,
            log=events,
            gerant_id=actor.gerant_id,
            type=EventType.USER_UPDATED,
            resource=user_out(after),
            previous_attributes=previous_attributes(user_out(before), user_out(after)),
        )
        return after

    try:
        return await run_in_transaction(User, apply)
    except DuplicateKeyError as exc:
        raise duplicate_user(exc) from None


async def delete_user(*, actor: Actor, user_id: str, events: EventLog = DEFAULT_EVENT_LOG) -> str:
    """Soft-delete a manager or seller (status `deleted`); a gérant cannot be deleted."""
    actor.require(Permission.USERS_WRITE)
    user = await get_tenant_user(actor=actor, user_id=user_id)
    if user.role is Role.GERANT:
        raise Forbidden(messages.GERANT_NOT_DELETABLE)
    require_user_in_scope(actor, user)
    if user.status is UserStatus.DELETED:
        raise BadRequest(messages.USER_ALREADY_DELETED)
    changes = {"status": UserStatus.DELETED.value, "updated_at": utcnow()}

    async def apply(session: AsyncIOMotorClientSession) -> None:
        # Conditional: of two deletions at the same time, one deletes (and records the event).
        which = scopes.users(actor.gerant_id, _id=user.id, status={"$ne": UserStatus.DELETED.value})
        before = await _change_user(session, which, changes)
        if before is None:
            raise BadRequest(messages.USER_ALREADY_DELETED)
        after = before.model_copy(update={**changes, "status": UserStatus.DELETED})
        await record(
            session,
            log=events,
            gerant_id=actor.gerant_id,
            type=EventType.USER_DELETED,
            resource=user_out(after),
        )

    await run_in_transaction(User, apply)
    return messages.MANAGER_DELETED if user.role is Role.MANAGER else messages.SELLER_DELETED


async def move_seller(
    *,
    actor: Actor,
    user_id: str,
    store_id: str,
    manager_id: str | None,
    events: EventLog = DEFAULT_EVENT_LOG,
) -> User:
    """Move a seller to an active store, under the given manager of that store or, without one,
    its earliest active manager (as at creation); a deleted seller stays where he was."""
    actor.require(Permission.USERS_WRITE)
    user = await get_tenant_user(actor=actor, user_id=user_id)
    if user.role is not Role.SELLER:
        raise BadRequest(messages.ONLY_SELLERS_MOVE)
    if user.status is UserStatus.DELETED:
        raise BadRequest(messages.USER_DELETED_CANNOT_UPDATE)
    require_user_in_scope(actor, user)
    actor.require_store(store_id)
    store = await get_active_store(actor=actor, store_id=store_id)
    changes = {
        "store_id": store.id,
        "moved": True,
        "manager_id": await store_manager_id(actor=actor, store=store, manager_id=manager_id),
        "updated_at": utcnow(),
    }

    async def apply(session: AsyncIOMotorClientSession) -> User:
        which = scopes.users(actor.gerant_id, _id=user.id, status={"$ne": UserStatus.DELETED.value})
        before = await _change_user(session, which, changes)
        if before is None:
            raise BadRequest(messages.USER_DELETED_CANNOT_UPDATE)
        after: User = before.model_copy(update=changes)
        await record(
            session,
            log=events,
            gerant_id=actor.gerant_id,
            type=EventType.USER_UPDATED,
            resource=user_out(after),
            previous_attributes=previous_attributes(user_out(before), user_out(after)),
        )
        return after

    return await run_in_transaction(User, apply)
