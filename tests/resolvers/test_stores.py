"""Store rules on mongomock: scope of listing, restricted keys, updates, soft deletion."""

import pytest

from contract.errors import BadRequest, Forbidden, NotFound
from contract.validation import parse
from models import Role, Store, User, UserStatus
from resolvers.stores import (
    StoreCreate,
    StoreFilter,
    StoreUpdate,
    create_store,
    delete_store,
    list_stores,
    update_store,
)
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


class TestFindByExternalId:
    async def test_the_filter_narrows_the_list_within_the_scope(self) -> None:
        gerant = await make_gerant()
        lyon = await make_store(gerant, external_id="LYON-001")
        await make_store(gerant, external_id="PARIS-001")
        actor = await make_actor(gerant, ["stores:read"])
        found = await list_stores(actor=actor, filter=StoreFilter(external_id="LYON-001"))
        assert [s.id for s in found] == [lyon.id]
        restricted = await make_actor(gerant, ["stores:read"], [lyon.id])
        found = await list_stores(actor=restricted, filter=StoreFilter(external_id="PARIS-001"))
        assert found == []


class TestUpdateStore:
    async def test_applies_only_the_given_fields_and_renames_the_name_key(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant, name="Paris", phone="01", address="1 rue A")
        data = parse(StoreUpdate, {"name": "  Paris   Rivoli ", "address": None, "unknown": 1})
        updated = await update_store(
            actor=await make_actor(gerant, ["stores:write"]), store_id=store.id, data=data
        )
        saved = await Store.get(store.id)
        assert saved is not None
        assert (saved.name, saved.name_key, saved.address, saved.phone) == (
            "Paris   Rivoli",
            "paris rivoli",
            None,
            "01",
        )
        assert (updated.name, updated.address, updated.updated_at) == (
            saved.name,
            None,
            saved.updated_at,
        )

    @pytest.mark.parametrize("body", [{}, {"unknown": 1, "gerant_id": "x"}])
    async def test_nothing_to_update_is_400_before_any_lookup(
        self, body: dict[str, object]
    ) -> None:
        actor = await make_actor(await make_gerant(), ["stores:write"])
        with pytest.raises(BadRequest, match="No fields to update"):
            await update_store(actor=actor, store_id="unknown", data=parse(StoreUpdate, body))

    async def test_closing_suspends_and_reopening_does_not_reactivate(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        actor = await make_actor(gerant, ["stores:write"])
        await update_store(actor=actor, store_id=store.id, data=StoreUpdate(active=False))
        await update_store(actor=actor, store_id=store.id, data=StoreUpdate(active=True))
        saved_store, saved_seller = await Store.get(store.id), await User.get(seller.id)
        assert saved_store is not None
        assert saved_seller is not None
        assert (saved_store.active, saved_seller.status) == (True, UserStatus.SUSPENDED)

    async def test_needs_stores_write_and_the_store_in_scope(self) -> None:
        gerant = await make_gerant()
        store, other = await make_store(gerant), await make_store(gerant)
        data = StoreUpdate(phone="01")
        with pytest.raises(Forbidden, match="Requires 'stores:write'"):
            await update_store(
                actor=await make_actor(gerant, ["stores:read"]), store_id=store.id, data=data
            )
        restricted = await make_actor(gerant, ["stores:write"], [other.id])
        with pytest.raises(Forbidden, match="not in store_ids"):
            await update_store(actor=restricted, store_id=store.id, data=data)
        with pytest.raises(NotFound):
            await update_store(
                actor=await make_actor(await make_gerant(), ["stores:write"]),
                store_id=store.id,
                data=data,
            )
