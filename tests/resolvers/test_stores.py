"""Store rules on mongomock: scope of listing, restricted keys, soft deletion."""

import pytest

from models import Role, Store, User, UserStatus
from resolvers.errors import BadRequest, Forbidden, NotFound
from resolvers.stores import StoreCreate, create_store, delete_store, list_stores
from resolvers.validation import parse
from tests.support.factories import make_actor, make_gerant, make_store, make_user

pytestmark = pytest.mark.usefixtures("mock_db")


class TestListStores:
    async def test_lists_only_the_tenant_stores_oldest_first(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        first, second = await make_store(gerant), await make_store(gerant)
        await make_store(other)
        found = await list_stores(actor=await make_actor(gerant, ["stores:read"]))
        assert [s.id for s in found] == [first.id, second.id]

    async def test_restricted_key_sees_only_its_stores(self) -> None:
        gerant = await make_gerant()
        allowed, _ = await make_store(gerant), await make_store(gerant)
        found = await list_stores(actor=await make_actor(gerant, ["stores:read"], [allowed.id]))
        assert [s.id for s in found] == [allowed.id]

    async def test_deactivated_stores_are_listed(self) -> None:
        gerant = await make_gerant()
        await make_store(gerant, active=False)
        found = await list_stores(actor=await make_actor(gerant, ["stores:read"]))
        assert [s.active for s in found] == [False]

    async def test_needs_stores_read(self) -> None:
        with pytest.raises(Forbidden, match="Requires 'stores:read'"):
            await list_stores(actor=await make_actor(await make_gerant(), ["stores:write"]))


class TestCreateStore:
    async def test_trims_and_keeps_fields(self) -> None:
        gerant = await make_gerant()
        data = parse(StoreCreate, {"name": "  Lyon  ", "location": "69001 Lyon", "phone": "01"})
        store = await create_store(actor=await make_actor(gerant, ["stores:write"]), data=data)
        assert (store.name, store.name_key, store.location, store.phone, store.gerant_id) == (
            "Lyon",
            "lyon",
            "69001 Lyon",
            "01",
            gerant.id,
        )
        assert store.active is True

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"location": "Lyon"}, "name: Field required"),
            ({"name": "  ", "location": "Lyon"}, "name: String should have at least 1 character"),
            ({"name": "A"}, "location: Field required"),
            ({"name": {"$ne": 1}, "location": "L"}, "name: Input should be a valid string"),
            (
                {"name": "A" * 201, "location": "L"},
                "name: String should have at most 200 characters",
            ),
        ],
    )
    async def test_invalid_input(self, body: dict[str, object], message: str) -> None:
        with pytest.raises(BadRequest) as raised:
            parse(StoreCreate, body)
        assert raised.value.message == message

    async def test_restricted_key_cannot_create_stores(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        restricted = await make_actor(gerant, ["stores:write"], [store.id])
        data = parse(StoreCreate, {"name": "New", "location": "Lyon"})
        with pytest.raises(Forbidden):
            await create_store(actor=restricted, data=data)
        assert await Store.count() == 1


class TestDeleteStore:
    async def test_soft_deletes_and_suspends_active_staff_only(self) -> None:
        gerant = await make_gerant()
        store, other_store = await make_store(gerant), await make_store(gerant)
        manager = await make_user(gerant, Role.MANAGER, store)
        seller = await make_user(gerant, Role.SELLER, store)
        deleted = await make_user(gerant, Role.SELLER, store, status=UserStatus.DELETED)
        elsewhere = await make_user(gerant, Role.SELLER, other_store)
        message = await delete_store(
            actor=await make_actor(gerant, ["stores:write"]), store_id=store.id
        )
        assert message == "Magasin supprimé avec succès"
        reloaded = await Store.get(store.id)
        assert reloaded is not None
        assert reloaded.active is False
        statuses = {u.id: u.status for u in await User.find({"role": {"$ne": "gerant"}}).to_list()}
        assert statuses == {
            manager.id: UserStatus.SUSPENDED,
            seller.id: UserStatus.SUSPENDED,
            deleted.id: UserStatus.DELETED,
            elsewhere.id: UserStatus.ACTIVE,
        }

    async def test_other_tenant_store_is_not_found(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        theirs = await make_store(other)
        with pytest.raises(NotFound, match="Store not found"):
            await delete_store(actor=await make_actor(gerant, ["stores:write"]), store_id=theirs.id)
        reloaded = await Store.get(theirs.id)
        assert reloaded is not None
        assert reloaded.active is True
