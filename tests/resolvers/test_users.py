"""Rules of the users resolvers, on mongomock (email uniqueness needs indexes: see rest_compat)."""

from datetime import timedelta
from typing import Any

import pytest

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound
from contract.validation import parse
from models import Role, Store, User, UserStatus
from models.clock import utcnow
from resolvers.pagination import encode_cursor
from resolvers.users import (
    ManagerCreate,
    SellerCreate,
    UserFilter,
    UserUpdate,
    after_cursor,
    create_manager,
    create_seller,
    delete_user,
    get_staff_user,
    list_users,
    move_seller,
    update_user,
)
from tests.support.factories import make_actor, make_gerant, make_store, make_user

pytestmark = pytest.mark.usefixtures("mock_db")

SELLER = SellerCreate(name="Marie Martin", email="marie.martin@example.com")


async def stored(user_id: str) -> User:
    user = await User.get(user_id)
    assert user is not None
    return user


class TestCreateManager:
    async def test_creates_an_active_manager_in_the_store(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        data = ManagerCreate(
            name=" Jean Dupont ",
            email="Jean.Dupont@Example.com",
            phone="0123456789",
            external_id="MANAGER-001",
        )
        manager = await create_manager(actor=await make_actor(gerant), store_id=store.id, data=data)
        saved = await stored(manager.id)
        expected = {
            "gerant_id": gerant.id,
            "role": Role.MANAGER,
            "status": UserStatus.ACTIVE,
            "name": "Jean Dupont",
            "email": "Jean.Dupont@example.com",
            "email_key": "jean.dupont@example.com",
            "phone": "0123456789",
            "store_id": store.id,
            "manager_id": None,
            "external_id": "MANAGER-001",
            "send_invitation": True,
        }
        assert saved.model_dump(include=set(expected)) == expected

    async def test_send_invitation_is_stored(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        data = ManagerCreate(name="Jean", email="jean@example.com", send_invitation=False)
        manager = await create_manager(actor=await make_actor(gerant), store_id=store.id, data=data)
        assert (await stored(manager.id)).send_invitation is False

    async def test_needs_users_write(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        actor = await make_actor(gerant, permissions=["stores:write", "kpi:write"])
        data = ManagerCreate(name="Jean", email="jean@example.com")
        with pytest.raises(Forbidden) as error:
            await create_manager(actor=actor, store_id=store.id, data=data)
        assert error.value.message == "Insufficient permissions. Requires 'users:write'"
        assert await User.find({"role": "manager"}).count() == 0


class TestSellerManager:
    async def test_earliest_active_manager_of_the_store_is_assigned(self) -> None:
        gerant = await make_gerant()
        store, other_store = await make_store(gerant), await make_store(gerant)
        start = utcnow() - timedelta(days=10)

        async def manager(store: Store, days: int, status: UserStatus = UserStatus.ACTIVE) -> User:
            created_at = start + timedelta(days=days)
            return await make_user(gerant, Role.MANAGER, store, status, created_at=created_at)

        await manager(store, 0, UserStatus.SUSPENDED)
        await manager(store, 1, UserStatus.DELETED)
        await manager(other_store, 2)
        await make_user(gerant, Role.SELLER, store, created_at=start)
        await manager(store, 5)
        earliest = await manager(store, 3)
        seller = await create_seller(actor=await make_actor(gerant), store_id=store.id, data=SELLER)
        assert seller.manager_id == earliest.id
        assert (await stored(seller.id)).manager_id == earliest.id

    async def test_ties_on_creation_time_go_to_the_smallest_id(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        created_at = utcnow()
        await make_user(gerant, Role.MANAGER, store, id="user_b", created_at=created_at)
        await make_user(gerant, Role.MANAGER, store, id="user_a", created_at=created_at)
        seller = await create_seller(actor=await make_actor(gerant), store_id=store.id, data=SELLER)
        assert seller.manager_id == "user_a"

    async def test_no_active_manager_leaves_it_null(self) -> None:
        gerant = await make_gerant()
        store, other_store = await make_store(gerant), await make_store(gerant)
        await make_user(gerant, Role.MANAGER, store, UserStatus.SUSPENDED)
        await make_user(gerant, Role.MANAGER, other_store)
        seller = await create_seller(actor=await make_actor(gerant), store_id=store.id, data=SELLER)
        assert seller.manager_id is None
        saved = await stored(seller.id)
        assert (saved.role, saved.store_id, saved.manager_id) == (Role.SELLER, store.id, None)

    async def test_given_active_manager_of_the_store_is_kept(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        await make_user(gerant, Role.MANAGER, store, created_at=utcnow() - timedelta(days=1))
        chosen = await make_user(gerant, Role.MANAGER, store)
        data = SELLER.model_copy(update={"manager_id": chosen.id})
        seller = await create_seller(actor=await make_actor(gerant), store_id=store.id, data=data)
        assert (await stored(seller.id)).manager_id == chosen.id

    @pytest.mark.parametrize(
        "case", ["suspended", "deleted", "other store", "seller", "gerant", "other tenant", "none"]
    )
    async def test_given_id_must_be_an_active_manager_of_the_store(self, case: str) -> None:
        gerant, stranger = await make_gerant(), await make_gerant()
        store, other_store = await make_store(gerant), await make_store(gerant)
        candidates = {
            "suspended": await make_user(gerant, Role.MANAGER, store, UserStatus.SUSPENDED),
            "deleted": await make_user(gerant, Role.MANAGER, store, UserStatus.DELETED),
            "other store": await make_user(gerant, Role.MANAGER, other_store),
            "seller": await make_user(gerant, Role.SELLER, store),
            "gerant": gerant,
            "other tenant": await make_user(stranger, Role.MANAGER, await make_store(stranger)),
        }
        manager_id = candidates[case].id if case in candidates else "user_missing"
        data = SELLER.model_copy(update={"manager_id": manager_id})
        with pytest.raises(NotFound) as error:
            await create_seller(actor=await make_actor(gerant), store_id=store.id, data=data)
        assert error.value.message == messages.MANAGER_NOT_FOUND_IN_STORE
        assert await User.find({"role": "seller"}).count() == 1


class TestUpdateInput:
    @pytest.mark.parametrize(
        ("payload", "applied"),
        [
            ({"name": " Jean "}, {"name": "Jean"}),
            ({"status": "suspended"}, {"status": UserStatus.SUSPENDED}),
            ({"status": "active"}, {"status": UserStatus.ACTIVE}),
            ({"phone": None, "external_id": None}, {"phone": None, "external_id": None}),
            (
                {"email": "new@example.com", "role": "gerant", "store_id": "s", "phone": "01"},
                {"phone": "01"},
            ),
        ],
    )
    def test_only_whitelisted_fields_present_are_kept(
        self, payload: dict[str, Any], applied: dict[str, Any]
    ) -> None:
        data = parse(UserUpdate, payload)
        assert data.model_dump(include=data.model_fields_set) == applied

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"status": "deleted"}, "status: Input should be 'active' or 'suspended'"),
            ({"status": "ACTIVE"}, "status: Input should be 'active' or 'suspended'"),
            ({"status": None}, f"status: {messages.FIELD_NOT_NULLABLE}"),
            ({"name": None}, f"name: {messages.FIELD_NOT_NULLABLE}"),
            ({"name": "  "}, "name: String should have at least 1 character"),
            ({"external_id": ""}, "external_id: String should have at least 1 character"),
        ],
    )
    def test_invalid_values_are_400(self, payload: dict[str, Any], message: str) -> None:
        with pytest.raises(BadRequest) as error:
            parse(UserUpdate, payload)
        assert error.value.message == message


class TestUpdateUser:
    async def test_applies_the_fields_given_and_returns_the_user(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        an_hour_ago = utcnow() - timedelta(hours=1)
        user = await make_user(
            gerant, Role.SELLER, store, phone="01", external_id="S-1", updated_at=an_hour_ago
        )
        data = parse(UserUpdate, {"name": "Marie", "phone": None, "status": "suspended"})
        updated = await update_user(actor=await make_actor(gerant), user_id=user.id, data=data)
        saved = await stored(user.id)
        expected = {
            "name": "Marie",
            "phone": None,
            "status": UserStatus.SUSPENDED,
            "external_id": "S-1",
            "email": user.email,
            "role": Role.SELLER,
            "store_id": store.id,
        }
        assert updated.model_dump(include=set(expected)) == expected
        assert saved.model_dump(include=set(expected)) == expected
        assert saved.updated_at == updated.updated_at > an_hour_ago

    async def test_no_whitelisted_field_is_400(self) -> None:
        gerant = await make_gerant()
        user = await make_user(gerant, Role.MANAGER, await make_store(gerant))
        data = parse(UserUpdate, {"email": "new@example.com", "role": "gerant"})
        with pytest.raises(BadRequest) as error:
            await update_user(actor=await make_actor(gerant), user_id=user.id, data=data)
        assert error.value.message == messages.NO_FIELDS_TO_UPDATE

    async def test_permission_is_checked_before_the_payload(self) -> None:
        gerant = await make_gerant()
        actor = await make_actor(gerant, permissions=["stores:read"])
        with pytest.raises(Forbidden) as error:
            await update_user(actor=actor, user_id="user_missing", data=UserUpdate())
        assert error.value.message == "Insufficient permissions. Requires 'users:write'"

    async def test_unknown_user_is_404(self) -> None:
        actor = await make_actor(await make_gerant())
        with pytest.raises(NotFound) as error:
            await update_user(actor=actor, user_id="user_missing", data=UserUpdate(name="X"))
        assert error.value.message == messages.USER_NOT_FOUND

    async def test_user_of_another_tenant_is_404_even_if_deleted(self) -> None:
        gerant, stranger = await make_gerant(), await make_gerant()
        user = await make_user(
            stranger, Role.SELLER, await make_store(stranger), UserStatus.DELETED
        )
        with pytest.raises(NotFound) as error:
            await update_user(
                actor=await make_actor(gerant), user_id=user.id, data=UserUpdate(name="X")
            )
        assert error.value.message == messages.USER_NOT_FOUND
        assert (await stored(user.id)).name == user.name

    async def test_deleted_user_is_400_before_the_store_scope(self) -> None:
        gerant = await make_gerant()
        allowed, other = await make_store(gerant), await make_store(gerant)
        user = await make_user(gerant, Role.SELLER, other, UserStatus.DELETED)
        actor = await make_actor(gerant, store_ids=[allowed.id])
        with pytest.raises(BadRequest) as error:
            await update_user(actor=actor, user_id=user.id, data=UserUpdate(name="X"))
        assert error.value.message == messages.USER_DELETED_CANNOT_UPDATE


class TestStoreRestrictedKey:
    @pytest.mark.parametrize("operation", ["update", "delete"])
    async def test_user_without_store_is_403(self, operation: str) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        user = await make_user(gerant, Role.MANAGER, None)
        actor = await make_actor(gerant, store_ids=[store.id])
        with pytest.raises(Forbidden) as error:
            await run(operation, actor, user)
        assert error.value.message == messages.USER_WITHOUT_STORE
        assert (await stored(user.id)).model_dump() == user.model_dump()

    @pytest.mark.parametrize("operation", ["update", "delete"])
    async def test_user_of_a_store_outside_the_scope_is_403(self, operation: str) -> None:
        gerant = await make_gerant()
        allowed, other = await make_store(gerant), await make_store(gerant)
        user = await make_user(gerant, Role.SELLER, other)
        actor = await make_actor(gerant, store_ids=[allowed.id])
        with pytest.raises(Forbidden) as error:
            await run(operation, actor, user)
        assert error.value.message == messages.STORE_NOT_IN_KEY_SCOPE
        assert (await stored(user.id)).model_dump() == user.model_dump()

    @pytest.mark.parametrize("operation", ["update", "delete"])
    async def test_user_of_a_store_in_the_scope_is_allowed(self, operation: str) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        user = await make_user(gerant, Role.SELLER, store)
        await run(operation, await make_actor(gerant, store_ids=[store.id]), user)
        assert (await stored(user.id)).model_dump() != user.model_dump()

    async def test_wildcard_key_reaches_users_without_store(self) -> None:
        gerant = await make_gerant()
        user = await make_user(gerant, Role.MANAGER, None)
        actor = await make_actor(gerant, store_ids=["*"])
        updated = await update_user(actor=actor, user_id=user.id, data=UserUpdate(name="Jean"))
        assert updated.name == "Jean"

    async def test_gerant_himself_may_be_updated_without_store(self) -> None:
        gerant = await make_gerant()
        actor = await make_actor(gerant, store_ids=[(await make_store(gerant)).id])
        data = UserUpdate(name="Nouveau nom", phone="0600000000")
        updated = await update_user(actor=actor, user_id=gerant.id, data=data)
        assert (updated.name, updated.phone, updated.role) == (
            "Nouveau nom",
            "0600000000",
            "gerant",
        )
        assert (await stored(gerant.id)).name == "Nouveau nom"


async def run(operation: str, actor: Actor, user: User) -> None:
    if operation == "update":
        await update_user(actor=actor, user_id=user.id, data=UserUpdate(name="Changed"))
    else:
        await delete_user(actor=actor, user_id=user.id)


class TestGerantRules:
    @pytest.mark.parametrize("status", ["active", "suspended"])
    async def test_gerant_status_is_locked(self, status: str) -> None:
        gerant = await make_gerant()
        data = parse(UserUpdate, {"name": "X", "status": status})
        with pytest.raises(Forbidden) as error:
            await update_user(actor=await make_actor(gerant), user_id=gerant.id, data=data)
        assert error.value.message == messages.GERANT_STATUS_LOCKED
        assert (await stored(gerant.id)).name == gerant.name

    async def test_gerant_cannot_be_deleted(self) -> None:
        gerant = await make_gerant()
        with pytest.raises(Forbidden) as error:
            await delete_user(actor=await make_actor(gerant), user_id=gerant.id)
        assert error.value.message == messages.GERANT_NOT_DELETABLE
        assert (await stored(gerant.id)).status is UserStatus.ACTIVE


class TestDeleteUser:
    @pytest.mark.parametrize(
        ("role", "message"),
        [(Role.MANAGER, messages.MANAGER_DELETED), (Role.SELLER, messages.SELLER_DELETED)],
    )
    async def test_soft_deletes_and_names_the_role(self, role: Role, message: str) -> None:
        gerant = await make_gerant()
        user = await make_user(gerant, role, await make_store(gerant), UserStatus.SUSPENDED)
        assert await delete_user(actor=await make_actor(gerant), user_id=user.id) == message
        saved = await stored(user.id)
        assert saved.status is UserStatus.DELETED
        assert saved.model_dump(exclude={"status", "updated_at"}) == user.model_dump(
            exclude={"status", "updated_at"}
        )

    async def test_already_deleted_is_400(self) -> None:
        gerant = await make_gerant()
        user = await make_user(gerant, Role.SELLER, await make_store(gerant), UserStatus.DELETED)
        with pytest.raises(BadRequest) as error:
            await delete_user(actor=await make_actor(gerant), user_id=user.id)
        assert error.value.message == messages.USER_ALREADY_DELETED

    async def test_unknown_user_and_other_tenants_are_both_404(self) -> None:
        gerant, stranger = await make_gerant(), await make_gerant()
        user = await make_user(stranger, Role.SELLER, await make_store(stranger))
        actor = await make_actor(gerant)
        with pytest.raises(NotFound) as missing:
            await delete_user(actor=actor, user_id="user_missing")
        with pytest.raises(NotFound) as foreign:
            await delete_user(actor=actor, user_id=user.id)
        assert missing.value.message == foreign.value.message == messages.USER_NOT_FOUND
        assert (await stored(user.id)).status is UserStatus.ACTIVE

    async def test_needs_users_write(self) -> None:
        gerant = await make_gerant()
        user = await make_user(gerant, Role.SELLER, await make_store(gerant))
        actor = await make_actor(gerant, permissions=["stores:write"])
        with pytest.raises(Forbidden):
            await delete_user(actor=actor, user_id=user.id)
        assert (await stored(user.id)).status is UserStatus.ACTIVE


class TestListUsers:
    async def test_staff_only_in_the_callers_scope_in_id_order(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        paris, lyon = await make_store(gerant), await make_store(gerant)
        manager = await make_user(gerant, Role.MANAGER, paris)
        seller = await make_user(gerant, Role.SELLER, paris, UserStatus.DELETED)
        lyonnais = await make_user(gerant, Role.SELLER, lyon)
        storeless = await make_user(gerant, Role.MANAGER, None)
        await make_user(other, Role.SELLER, await make_store(other))
        everyone = await make_actor(gerant, ["users:read"])
        page = await list_users(actor=everyone, filter=UserFilter(), first=10, after=None)
        assert [u.id for u in page.items] == [manager.id, seller.id, lyonnais.id, storeless.id]
        assert (page.has_next_page, page.end_cursor) == (False, encode_cursor([storeless.id]))
        restricted = await make_actor(gerant, ["users:read"], [paris.id])
        page = await list_users(actor=restricted, filter=UserFilter(), first=10, after=None)
        assert [u.id for u in page.items] == [manager.id, seller.id]

    async def test_pages_after_a_user_id(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        staff = [await make_user(gerant, Role.SELLER, store) for _ in range(5)]
        actor = await make_actor(gerant, ["users:read"])
        first = await list_users(actor=actor, filter=UserFilter(), first=2, after=None)
        assert ([u.id for u in first.items], first.has_next_page) == (
            [s.id for s in staff[:2]],
            True,
        )
        rest_ = await list_users(
            actor=actor, filter=UserFilter(), first=3, after=after_cursor(first.end_cursor)
        )
        assert ([u.id for u in rest_.items], rest_.has_next_page) == (
            [s.id for s in staff[2:]],
            False,
        )

    async def test_needs_users_read(self) -> None:
        actor = await make_actor(await make_gerant(), ["users:write"])
        with pytest.raises(Forbidden, match="Requires 'users:read'"):
            await list_users(actor=actor, filter=UserFilter(), first=10, after=None)

    @pytest.mark.parametrize("first", [0, 101])
    async def test_page_size_is_bounded(self, first: int) -> None:
        actor = await make_actor(await make_gerant(), ["users:read"])
        with pytest.raises(BadRequest, match="first: must be between 1 and 100"):
            await list_users(actor=actor, filter=UserFilter(), first=first, after=None)

    def test_a_bad_cursor_is_400(self) -> None:
        with pytest.raises(BadRequest, match=messages.INVALID_CURSOR):
            after_cursor("not a cursor")


class TestUpdatedAt:
    async def test_an_update_and_a_deletion_move_it(self) -> None:
        gerant = await make_gerant()
        an_hour_ago = utcnow() - timedelta(hours=1)
        store = await make_store(gerant)
        updated = await make_user(gerant, Role.SELLER, store, updated_at=an_hour_ago)
        deleted = await make_user(gerant, Role.SELLER, store, updated_at=an_hour_ago)
        actor = await make_actor(gerant)
        before = utcnow()
        returned = await update_user(actor=actor, user_id=updated.id, data=UserUpdate(phone="02"))
        await delete_user(actor=actor, user_id=deleted.id)
        assert (await stored(updated.id)).updated_at == returned.updated_at >= before
        assert (await stored(deleted.id)).updated_at >= before

    async def test_updated_since_is_inclusive_to_the_millisecond(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        moment = utcnow() - timedelta(minutes=5)
        await make_user(gerant, Role.SELLER, store, updated_at=moment - timedelta(milliseconds=1))
        at = await make_user(gerant, Role.MANAGER, store, updated_at=moment)
        after = await make_user(
            gerant, Role.SELLER, store, updated_at=moment + timedelta(milliseconds=1)
        )
        await make_user(gerant, Role.SELLER, store, updated_at=moment, status=UserStatus.DELETED)
        actor = await make_actor(gerant, ["users:read"])

        async def since(**conditions: str) -> list[str]:
            given = parse(UserFilter, {"updated_since": moment.isoformat(), **conditions})
            page = await list_users(actor=actor, filter=given, first=10, after=None)
            return [user.id for user in page.items]

        assert await since(status="active") == [at.id, after.id]
        assert await since(role="seller", status="active") == [after.id]

    def test_an_invalid_updated_since_is_400(self) -> None:
        with pytest.raises(BadRequest) as refused:
            parse(UserFilter, {"updated_since": "2024-01-15 at noon"})
        assert refused.value.message == f"updated_since: {messages.TIMESTAMP_INVALID}"


class TestGetStaffUser:
    @pytest.mark.parametrize("status", list(UserStatus))
    async def test_a_manager_or_seller_of_any_status(self, status: UserStatus) -> None:
        gerant = await make_gerant()
        user = await make_user(gerant, Role.SELLER, await make_store(gerant), status)
        found = await get_staff_user(
            actor=await make_actor(gerant, ["users:read"]), user_id=user.id
        )
        assert (found.id, found.status) == (user.id, status)

    async def test_another_tenants_an_unknown_id_and_the_gerant_are_404(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        theirs = await make_user(other, Role.SELLER, await make_store(other))
        actor = await make_actor(gerant, ["users:read"])
        for user_id in (theirs.id, "user_unknown", gerant.id):
            with pytest.raises(NotFound) as refused:
                await get_staff_user(actor=actor, user_id=user_id)
            assert refused.value.message == messages.USER_NOT_FOUND

    async def test_outside_the_keys_stores_it_is_the_403_an_update_gives(self) -> None:
        gerant = await make_gerant()
        paris, lyon = await make_store(gerant), await make_store(gerant)
        lyonnais = await make_user(gerant, Role.SELLER, lyon)
        actor = await make_actor(gerant, ["users:read", "users:write"], [paris.id])
        with pytest.raises(Forbidden) as read:
            await get_staff_user(actor=actor, user_id=lyonnais.id)
        with pytest.raises(Forbidden) as write:
            await update_user(actor=actor, user_id=lyonnais.id, data=UserUpdate(phone="02"))
        assert read.value.message == write.value.message == messages.STORE_NOT_IN_KEY_SCOPE

    async def test_needs_users_read(self) -> None:
        gerant = await make_gerant()
        user = await make_user(gerant, Role.SELLER, await make_store(gerant))
        with pytest.raises(Forbidden, match="Requires 'users:read'"):
            await get_staff_user(actor=await make_actor(gerant, ["users:write"]), user_id=user.id)


class TestMoveSeller:
    async def test_moves_a_seller_under_the_given_or_the_earliest_manager(self) -> None:
        gerant = await make_gerant()
        here, there = await make_store(gerant), await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, here)
        first = await make_user(gerant, Role.MANAGER, there)
        second = await make_user(gerant, Role.MANAGER, there)
        actor = await make_actor(gerant)

        moved = await move_seller(
            actor=actor, user_id=seller.id, store_id=there.id, manager_id=None
        )
        assert (moved.store_id, moved.manager_id) == (there.id, first.id)
        await move_seller(actor=actor, user_id=seller.id, store_id=there.id, manager_id=second.id)

        saved = await stored(seller.id)
        assert (saved.store_id, saved.manager_id) == (there.id, second.id)
        assert saved.updated_at > seller.updated_at

    async def test_refusals(self) -> None:
        gerant = await make_gerant()
        here, there = await make_store(gerant), await make_store(gerant)
        closed = await make_store(gerant, active=False)
        seller = await make_user(gerant, Role.SELLER, here)
        manager = await make_user(gerant, Role.MANAGER, here)
        gone = await make_user(gerant, Role.SELLER, here, status=UserStatus.DELETED)
        actor = await make_actor(gerant)

        async def refusal(user: User, store: Store, manager_id: str | None = None) -> str:
            with pytest.raises((BadRequest, NotFound, Forbidden)) as error:
                await move_seller(
                    actor=actor, user_id=user.id, store_id=store.id, manager_id=manager_id
                )
            return str(error.value.message)

        assert await refusal(manager, there) == messages.ONLY_SELLERS_MOVE
        assert await refusal(gone, there) == messages.USER_DELETED_CANNOT_UPDATE
        assert await refusal(seller, closed) == messages.STORE_INACTIVE
        assert await refusal(seller, there, manager.id) == messages.MANAGER_NOT_FOUND_IN_STORE
        assert (await stored(seller.id)).model_dump() == seller.model_dump()

    async def test_a_restricted_key_moves_only_within_its_stores(self) -> None:
        gerant = await make_gerant()
        here, there = await make_store(gerant), await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, here)
        actor = await make_actor(gerant, store_ids=[here.id])

        with pytest.raises(Forbidden) as error:
            await move_seller(actor=actor, user_id=seller.id, store_id=there.id, manager_id=None)

        assert error.value.message == messages.STORE_NOT_IN_KEY_SCOPE
