"""Store rules on mongomock: scope of listing, restricted keys, updates, soft deletion,
updated_at and the reads built on it, pages, single reads."""

from collections.abc import Awaitable, Callable
from datetime import timedelta, timezone
from typing import Any

import pytest

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound
from contract.validation import parse
from models import Role, Store, User, UserStatus
from models.clock import utcnow
from resolvers.stores import (
    StoreCreate,
    StoreFilter,
    StoreUpdate,
    create_store,
    delete_store,
    get_store,
    list_stores,
    page_of_stores,
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


async def stored_store(store_id: str) -> Store:
    store = await Store.get(store_id)
    assert store is not None
    return store


async def stored_user(user_id: str) -> User:
    user = await User.get(user_id)
    assert user is not None
    return user


async def _update(actor: Actor, store: Store) -> Store:
    return await update_store(actor=actor, store_id=store.id, data=StoreUpdate(phone="02"))


async def _close(actor: Actor, store: Store) -> Store:
    return await update_store(actor=actor, store_id=store.id, data=StoreUpdate(active=False))


async def _reopen(actor: Actor, store: Store) -> Store:
    return await update_store(actor=actor, store_id=store.id, data=StoreUpdate(active=True))


async def _delete(actor: Actor, store: Store) -> None:
    await delete_store(actor=actor, store_id=store.id)


STORE_WRITES: dict[str, Callable[[Actor, Store], Awaitable[Any]]] = {
    "update": _update,
    "close": _close,
    "reopen": _reopen,
    "delete": _delete,
}


class TestUpdatedAt:
    @pytest.mark.parametrize("write", list(STORE_WRITES))
    async def test_every_write_of_a_store_moves_it(self, write: str) -> None:
        gerant = await make_gerant()
        an_hour_ago = utcnow() - timedelta(hours=1)
        store = await make_store(gerant, updated_at=an_hour_ago, active=write != "reopen")
        before = utcnow()
        returned = await STORE_WRITES[write](await make_actor(gerant), store)
        saved = await stored_store(store.id)
        assert saved.updated_at >= before
        if returned is not None:
            assert returned.updated_at == saved.updated_at

    @pytest.mark.parametrize("write", ["close", "delete"])
    async def test_closing_moves_the_staff_it_suspends_and_them_only(self, write: str) -> None:
        gerant = await make_gerant()
        an_hour_ago = utcnow() - timedelta(hours=1)
        store = await make_store(gerant)
        active = await make_user(gerant, Role.SELLER, store, updated_at=an_hour_ago)
        deleted = await make_user(
            gerant, Role.SELLER, store, UserStatus.DELETED, updated_at=an_hour_ago
        )
        await STORE_WRITES[write](await make_actor(gerant), store)
        assert (await stored_user(active.id)).updated_at == (
            await stored_store(store.id)
        ).updated_at
        assert (await stored_user(deleted.id)).updated_at == an_hour_ago

    async def test_a_new_store_has_one(self) -> None:
        gerant = await make_gerant()
        before = utcnow()
        store = await create_store(
            actor=await make_actor(gerant),
            data=StoreCreate(name="Lyon", location="69001 Lyon"),
        )
        assert (await stored_store(store.id)).updated_at >= before


class TestUpdatedSince:
    async def test_the_bound_is_inclusive_to_the_millisecond(self) -> None:
        gerant = await make_gerant()
        moment = utcnow() - timedelta(minutes=5)
        before = await make_store(gerant, updated_at=moment - timedelta(milliseconds=1))
        at = await make_store(gerant, updated_at=moment)
        after = await make_store(gerant, updated_at=moment + timedelta(milliseconds=1))
        actor = await make_actor(gerant, ["stores:read"])

        async def since(value: str) -> list[str]:
            given = parse(StoreFilter, {"updated_since": value})
            return [store.id for store in await list_stores(actor=actor, filter=given)]

        assert await since(moment.isoformat()) == [at.id, after.id]
        # The same instant written with an offset, and a naive one read as UTC.
        paris = moment.astimezone(timezone(timedelta(hours=2)))
        assert await since(paris.isoformat()) == [at.id, after.id]
        assert await since(moment.replace(tzinfo=None).isoformat()) == [at.id, after.id]
        later = (moment + timedelta(milliseconds=1)).isoformat().replace("+00:00", "Z")
        assert await since(later) == [after.id]
        earlier = (moment - timedelta(milliseconds=1)).isoformat()
        assert await since(earlier) == [before.id, at.id, after.id]

    async def test_with_other_filters_and_within_the_key_scope(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        moment = utcnow() - timedelta(minutes=5)
        allowed = await make_store(gerant, updated_at=moment, external_id="A")
        await make_store(gerant, updated_at=moment, external_id="B")
        await make_store(other, updated_at=moment)
        restricted = await make_actor(gerant, ["stores:read"], [allowed.id])
        given = parse(StoreFilter, {"updated_since": moment.isoformat()})
        assert [s.id for s in await list_stores(actor=restricted, filter=given)] == [allowed.id]
        both = parse(StoreFilter, {"updated_since": moment.isoformat(), "external_id": "B"})
        assert [
            s.external_id for s in await list_stores(actor=await make_actor(gerant), filter=both)
        ] == ["B"]

    @pytest.mark.parametrize(
        "value",
        ["yesterday", "2024-13-01T00:00:00Z", "1700000000", "2024-01-15T10:00:00 02:00", ""],
    )
    def test_anything_but_iso_8601_is_400(self, value: str) -> None:
        with pytest.raises(BadRequest) as refused:
            parse(StoreFilter, {"updated_since": value})
        assert refused.value.message == f"updated_since: {messages.TIMESTAMP_INVALID}"

    def test_a_number_is_400_too(self) -> None:
        with pytest.raises(BadRequest) as refused:
            parse(StoreFilter, {"updated_since": 1700000000})
        assert refused.value.message == f"updated_since: {messages.TIMESTAMP_INVALID}"


class TestPageOfStores:
    async def test_a_walk_of_25_by_10(self) -> None:
        gerant = await make_gerant()
        await make_store(await make_gerant())
        made = [await make_store(gerant) for _ in range(25)]
        actor = await make_actor(gerant, ["stores:read"])
        sizes, more, seen = [], [], []
        after: str | None = None
        while True:
            page = await page_of_stores(actor=actor, filter=None, first=10, after=after)
            sizes.append(len(page.items))
            more.append(page.has_next_page)
            seen += [store.id for store in page.items]
            if not page.has_next_page:
                break
            after = page.items[-1].id
        assert (sizes, more) == ([10, 10, 5], [True, True, False])
        assert seen == sorted(store.id for store in made)

    async def test_a_restricted_key_pages_through_its_stores(self) -> None:
        gerant = await make_gerant()
        made = [await make_store(gerant) for _ in range(4)]
        actor = await make_actor(gerant, ["stores:read"], [made[0].id, made[2].id, made[3].id])
        first = await page_of_stores(actor=actor, filter=None, first=1, after=None)
        rest = await page_of_stores(actor=actor, filter=None, first=5, after=made[0].id)
        assert ([s.id for s in first.items], first.has_next_page) == ([made[0].id], True)
        assert ([s.id for s in rest.items], rest.has_next_page) == ([made[2].id, made[3].id], False)

    async def test_with_updated_since(self) -> None:
        gerant = await make_gerant()
        moment = utcnow() - timedelta(minutes=5)
        old = await make_store(gerant, updated_at=moment - timedelta(seconds=1))
        changed = [await make_store(gerant, updated_at=moment) for _ in range(3)]
        given = parse(StoreFilter, {"updated_since": moment.isoformat()})
        actor = await make_actor(gerant)
        page = await page_of_stores(actor=actor, filter=given, first=2, after=old.id)
        assert ([s.id for s in page.items], page.has_next_page) == (
            [changed[0].id, changed[1].id],
            True,
        )

    async def test_starting_after_another_tenants_unknown_or_unreadable_store_is_400(
        self,
    ) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        ours, outside = await make_store(gerant), await make_store(gerant)
        theirs = await make_store(other)
        restricted = await make_actor(gerant, ["stores:read"], [ours.id])
        for actor, after in (
            (await make_actor(gerant), theirs.id),
            (await make_actor(gerant), "store_000000000000000000000000"),
            (await make_actor(gerant), "anything"),
            (restricted, outside.id),
        ):
            with pytest.raises(BadRequest) as refused:
                await page_of_stores(actor=actor, filter=None, first=10, after=after)
            assert refused.value.message == messages.STARTING_AFTER_UNKNOWN

    async def test_needs_stores_read_first(self) -> None:
        actor = await make_actor(await make_gerant(), ["stores:write"])
        with pytest.raises(Forbidden, match="Requires 'stores:read'"):
            await page_of_stores(actor=actor, filter=None, first=10, after="unknown")


class TestGetStore:
    async def test_one_store_deactivated_or_not(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant, active=False)
        found = await get_store(actor=await make_actor(gerant, ["stores:read"]), store_id=store.id)
        assert (found.id, found.active) == (store.id, False)

    async def test_refusals_as_an_update_gives_them(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        ours, outside = await make_store(gerant), await make_store(gerant)
        theirs = await make_store(other)
        restricted = await make_actor(gerant, ["stores:read", "stores:write"], [ours.id])
        for actor, store, refusal in (
            (await make_actor(gerant), theirs, NotFound(messages.STORE_NOT_FOUND)),
            (restricted, outside, Forbidden(messages.STORE_NOT_IN_KEY_SCOPE)),
        ):
            for attempt in (get_store(actor=actor, store_id=store.id), _update(actor, store)):
                with pytest.raises(type(refusal)) as refused:
                    await attempt
                assert refused.value.message == refusal.message
        with pytest.raises(Forbidden, match="Requires 'stores:read'"):
            await get_store(actor=await make_actor(gerant, ["stores:write"]), store_id=ours.id)
