"""The event log as rules: each write records exactly one event of its type (closing a store,
one more per suspended person), its object the resource as REST renders it; updates carry the
changed fields' former values; a refused write records nothing. (mongomock has no unique
indexes nor transactions: duplicates, retries and aborts are tested on SecantusDB, in
tests/system/test_events.py.)"""

from datetime import timedelta
from typing import Any

import pytest

from contract import messages
from contract.actor import Actor
from contract.credentials import actor_for_user
from contract.errors import BadRequest
from contract.representations import event_json
from contract.validation import parse
from infra.event_log import EventLog
from infra.key_directory import KeyDirectory
from infra.tokens import TokenSigner, hash_invitation_token
from models import ApiKey, Event, Invitation, InvitationStatus, KpiRollup, Role, Store, User
from models.clock import timestamp_text, utcnow
from models.kpi_rollup import RollupKind, rollup_id
from resolvers import api_keys, invitations, stores, users
from resolvers.kpi.sync import KpiSync, sync_kpis
from tests.support.factories import make_gerant, make_store, make_user
from tests.support.settings import TEST_JWT_SECRET

pytestmark = pytest.mark.usefixtures("mock_db")

SIGNER = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))


async def events_of(gerant: User) -> list[dict[str, Any]]:
    """The tenant's events as the feed renders them, oldest first, API keys' left out (the
    factories make keys through the rules)."""
    found = await Event.find({"gerant_id": gerant.id}).sort("created_at", "_id").to_list()
    return [event_json(event) for event in found if not event.type.startswith("api_key.")]


def envelope(event: dict[str, Any], type: str, data: dict[str, Any]) -> dict[str, Any]:
    """What `event` must be: its own id and time, `type` and `data`."""
    assert event["id"].startswith("evt_")
    assert event["created_at"].endswith("Z")
    return {"id": event["id"], "type": type, "created_at": event["created_at"], "data": data}


def stamp(document: Store | User | Invitation | ApiKey) -> str:
    return timestamp_text(document.created_at)


def store_json(store: Store, **changes: Any) -> dict[str, Any]:
    return {
        "id": store.id,
        "name": store.name,
        "location": store.location,
        "address": store.address,
        "phone": store.phone,
        "opening_hours": store.opening_hours,
        "gerant_id": store.gerant_id,
        "active": store.active,
        "created_at": stamp(store),
        "external_id": store.external_id,
        "updated_at": timestamp_text(store.updated_at),
        **changes,
    }


def user_json(user: User, **changes: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "status": user.status.value,
        "phone": user.phone,
        "store_id": user.store_id,
        "manager_id": user.manager_id,
        "external_id": user.external_id,
        "created_at": stamp(user),
        "updated_at": timestamp_text(user.updated_at),
        **changes,
    }


async def updated_stamp(document: Store | User) -> str:
    """The stored document's `updated_at`, as REST renders it, once a write has moved it."""
    stored = await type(document).get(document.id)
    assert stored is not None
    return timestamp_text(stored.updated_at)


async def gerant_and_actor() -> tuple[User, Actor]:
    gerant = await make_gerant()
    return gerant, actor_for_user(gerant)


class TestStores:
    async def test_create_records_store_created_with_the_rest_object(self) -> None:
        gerant, actor = await gerant_and_actor()
        data = stores.StoreCreate(name="Lyon", location="69001 Lyon", external_id="LYON-1")
        store = await stores.create_store(actor=actor, data=data)
        [event] = await events_of(gerant)
        assert event == envelope(
            event,
            "store.created",
            {
                "object": {
                    "id": store.id,
                    "name": "Lyon",
                    "location": "69001 Lyon",
                    "address": None,
                    "phone": None,
                    "opening_hours": None,
                    "gerant_id": gerant.id,
                    "active": True,
                    "created_at": stamp(store),
                    "external_id": "LYON-1",
                    "updated_at": timestamp_text(store.updated_at),
                }
            },
        )

    async def test_update_records_the_former_values(self) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant, phone="0100000000")
        data = parse(stores.StoreUpdate, {"name": "Lyon Rivoli", "phone": "0472000000"})
        await stores.update_store(actor=actor, store_id=store.id, data=data)
        [event] = await events_of(gerant)
        assert event == envelope(
            event,
            "store.updated",
            {
                "object": store_json(
                    store,
                    name="Lyon Rivoli",
                    phone="0472000000",
                    updated_at=await updated_stamp(store),
                ),
                "previous_attributes": {"name": store.name, "phone": "0100000000"},
            },
        )

    async def test_an_update_refused_records_nothing(self) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant)
        with pytest.raises(BadRequest, match=messages.NO_FIELDS_TO_UPDATE):
            await stores.update_store(actor=actor, store_id=store.id, data=stores.StoreUpdate())
        assert await events_of(gerant) == []

    async def test_delete_records_store_deleted_and_each_suspension(self) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant)
        manager = await make_user(gerant, Role.MANAGER, store)
        seller = await make_user(gerant, Role.SELLER, store, manager_id=manager.id)
        await stores.delete_store(actor=actor, store_id=store.id)
        deleted, *suspended = await events_of(gerant)
        assert deleted == envelope(
            deleted,
            "store.deleted",
            {
                "object": store_json(
                    store,
                    active=False,
                    updated_at=await updated_stamp(store),
                )
            },
        )
        assert sorted(suspended, key=lambda event: event["data"]["object"]["id"]) == [
            envelope(
                event,
                "user.updated",
                {
                    "object": user_json(
                        user, status="suspended", updated_at=await updated_stamp(user)
                    ),
                    "previous_attributes": {"status": "active"},
                },
            )
            for event, user in zip(
                sorted(suspended, key=lambda event: event["data"]["object"]["id"]),
                sorted([manager, seller], key=lambda user: user.id),
                strict=True,
            )
        ]

    async def test_deleting_a_closed_store_again_records_nothing(self) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant)
        await stores.delete_store(actor=actor, store_id=store.id)
        assert await stores.delete_store(actor=actor, store_id=store.id) == messages.STORE_DELETED
        assert [event["type"] for event in await events_of(gerant)] == ["store.deleted"]

    async def test_closing_by_update_records_store_updated_and_each_suspension(self) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant)
        manager = await make_user(gerant, Role.MANAGER, store)
        data = parse(stores.StoreUpdate, {"active": False})
        await stores.update_store(actor=actor, store_id=store.id, data=data)
        closed, suspended = await events_of(gerant)
        assert closed == envelope(
            closed,
            "store.updated",
            {
                "object": store_json(
                    store,
                    active=False,
                    updated_at=await updated_stamp(store),
                ),
                "previous_attributes": {"active": True},
            },
        )
        assert suspended == envelope(
            suspended,
            "user.updated",
            {
                "object": user_json(
                    manager, status="suspended", updated_at=await updated_stamp(manager)
                ),
                "previous_attributes": {"status": "active"},
            },
        )


class TestUsers:
    async def test_create_with_invitation_records_user_created_and_invitation_sent(
        self,
    ) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant)
        data = users.ManagerCreate(name="Jean Dupont", email="jean@example.com")
        manager = await users.create_manager(actor=actor, store_id=store.id, data=data)
        invitation = await Invitation.find_one({"user_id": manager.id})
        assert invitation is not None
        created, sent = await events_of(gerant)
        assert created == envelope(created, "user.created", {"object": user_json(manager)})
        assert sent == envelope(
            sent,
            "invitation.sent",
            {
                "object": {
                    "id": invitation.id,
                    "user_id": manager.id,
                    "email": "jean@example.com",
                    "status": "pending",
                    "created_at": stamp(invitation),
                    "accepted_at": None,
                }
            },
        )

    async def test_create_without_invitation_records_user_created_only(self) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant)
        manager = await make_user(gerant, Role.MANAGER, store)
        data = users.SellerCreate(
            name="Marie Martin", email="marie@example.com", send_invitation=False
        )
        seller = await users.create_seller(actor=actor, store_id=store.id, data=data)
        assert seller.manager_id == manager.id
        [event] = await events_of(gerant)
        assert event == envelope(event, "user.created", {"object": user_json(seller)})

    async def test_update_records_the_former_values(self) -> None:
        gerant, actor = await gerant_and_actor()
        seller = await make_user(gerant, Role.SELLER, await make_store(gerant))
        data = parse(users.UserUpdate, {"phone": "0600000000", "status": "suspended"})
        await users.update_user(actor=actor, user_id=seller.id, data=data)
        [event] = await events_of(gerant)
        assert event == envelope(
            event,
            "user.updated",
            {
                "object": user_json(
                    seller,
                    phone="0600000000",
                    status="suspended",
                    updated_at=await updated_stamp(seller),
                ),
                "previous_attributes": {"phone": None, "status": "active"},
            },
        )

    async def test_delete_records_user_deleted_once(self) -> None:
        gerant, actor = await gerant_and_actor()
        seller = await make_user(gerant, Role.SELLER, await make_store(gerant))
        await users.delete_user(actor=actor, user_id=seller.id)
        with pytest.raises(BadRequest, match=messages.USER_ALREADY_DELETED):
            await users.delete_user(actor=actor, user_id=seller.id)
        [event] = await events_of(gerant)
        assert event == envelope(
            event,
            "user.deleted",
            {
                "object": user_json(
                    seller,
                    status="deleted",
                    updated_at=await updated_stamp(seller),
                )
            },
        )


class TestInvitations:
    async def test_resend_records_invitation_sent(self) -> None:
        gerant, actor = await gerant_and_actor()
        manager = await make_user(gerant, Role.MANAGER, await make_store(gerant))
        first = await invitations.resend_invitation(actor=actor, user_id=manager.id)
        again = await invitations.resend_invitation(actor=actor, user_id=manager.id)
        assert again.id == first.id
        sent = await events_of(gerant)
        assert [event["type"] for event in sent] == ["invitation.sent", "invitation.sent"]
        assert {event["data"]["object"]["id"] for event in sent} == {first.id}

    async def test_accept_records_invitation_accepted(self) -> None:
        gerant, actor = await gerant_and_actor()
        manager = await make_user(gerant, Role.MANAGER, await make_store(gerant))
        invitation = await invitations.resend_invitation(actor=actor, user_id=manager.id)
        await Invitation.find_one({"_id": invitation.id}).update(
            {
                "$set": {
                    "status": InvitationStatus.SENT,
                    "token_hash": hash_invitation_token("the-token"),
                    "token_expires_at": utcnow() + timedelta(days=1),
                }
            }
        )
        data = parse(
            invitations.InvitationAcceptance,
            {"token": "the-token", "password": "correct horse battery"},
        )
        await invitations.accept_invitation(data=data, signer=SIGNER)
        accepted = await Invitation.get(invitation.id)
        assert accepted is not None
        assert accepted.accepted_at is not None
        event = (await events_of(gerant))[-1]
        assert event == envelope(
            event,
            "invitation.accepted",
            {
                "object": {
                    "id": invitation.id,
                    "user_id": manager.id,
                    "email": manager.email,
                    "status": "accepted",
                    "created_at": stamp(invitation),
                    "accepted_at": timestamp_text(accepted.accepted_at),
                }
            },
        )


def key_json(key: ApiKey, **changes: Any) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "permissions": key.permissions,
        "store_ids": key.store_ids,
        "expires_at": timestamp_text(key.expires_at) if key.expires_at else None,
        "created_at": stamp(key),
        "last_used_at": None,
        **changes,
    }


async def key_events(gerant: User) -> list[dict[str, Any]]:
    found = await Event.find({"gerant_id": gerant.id}).sort("created_at", "_id").to_list()
    return [event_json(event) for event in found]


class TestApiKeys:
    SPEC = api_keys.ApiKeyCreate(name="Caisse", permissions=["stores:read"], expires_in_days=30)

    async def test_create_records_the_key_never_its_secret(self) -> None:
        gerant = await make_gerant()
        created = await api_keys.create_api_key(gerant=gerant, spec=self.SPEC)
        [event] = await key_events(gerant)
        assert event == envelope(event, "api_key.created", {"object": key_json(created.api_key)})
        assert created.key not in str(event)

    async def test_rotate_records_the_new_key_and_the_old_ones_new_expiry(self) -> None:
        gerant = await make_gerant()
        old = (await api_keys.create_api_key(gerant=gerant, spec=self.SPEC)).api_key
        new = await api_keys.rotate_api_key(
            actor=actor_for_user(gerant), key_id=old.id, grace_days=2, keys=KeyDirectory()
        )
        rotated = await ApiKey.get(old.id)
        assert rotated is not None
        assert rotated.expires_at is not None
        _, created, replaced = await key_events(gerant)
        assert created == envelope(created, "api_key.created", {"object": key_json(new.api_key)})
        assert replaced == envelope(
            replaced,
            "api_key.rotated",
            {
                "object": key_json(old, expires_at=timestamp_text(rotated.expires_at)),
                "previous_attributes": {"expires_at": key_json(old)["expires_at"]},
            },
        )

    async def test_deactivate_records_once(self) -> None:
        gerant = await make_gerant()
        key = (await api_keys.create_api_key(gerant=gerant, spec=self.SPEC)).api_key
        for _ in range(2):
            await api_keys.deactivate_api_key(
                actor=actor_for_user(gerant), key_id=key.id, keys=KeyDirectory()
            )
        _, deactivated = await key_events(gerant)
        assert deactivated == envelope(
            deactivated, "api_key.deactivated", {"object": key_json(key)}
        )


class TestKpiSync:
    async def test_a_sync_records_its_store_day(self) -> None:
        gerant, actor = await gerant_and_actor()
        store = await make_store(gerant)
        sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(2)]

        def batch(amount: float, count: int) -> KpiSync:
            entries = [
                {"seller_id": s.id, "ca_journalier": amount, "nb_ventes": 1, "nb_articles": 2}
                for s in sellers[:count]
            ]
            return parse(
                KpiSync, {"store_id": store.id, "date": "2024-01-15", "kpi_entries": entries}
            )

        await sync_kpis(actor=actor, data=batch(10.5, 1))
        await sync_kpis(actor=actor, data=batch(12.0, 2))
        day = await KpiRollup.get(
            rollup_id(RollupKind.STORE_DAY, gerant.id, "2024-01-15", store.id, None)
        )
        assert day is not None
        assert day.checksum is not None
        first, second = await events_of(gerant)
        assert second == envelope(
            second,
            "kpi.synced",
            {
                "object": {
                    "store_id": store.id,
                    "date": "2024-01-15",
                    "created": 1,
                    "updated": 1,
                    "checksum": day.checksum,
                }
            },
        )
        assert first["data"]["object"]["created"] == 1
        assert first["data"]["object"]["updated"] == 0
        assert first["data"]["object"]["checksum"] != day.checksum


class TestTheLog:
    async def test_events_carry_their_tenant_only(self) -> None:
        gerant_a, actor_a = await gerant_and_actor()
        gerant_b, _ = await gerant_and_actor()
        await stores.create_store(actor=actor_a, data=stores.StoreCreate(name="A", location="A"))
        assert [event["type"] for event in await events_of(gerant_a)] == ["store.created"]
        assert await events_of(gerant_b) == []

    async def test_events_expire_after_the_retention_given(self) -> None:
        gerant, actor = await gerant_and_actor()
        data = stores.StoreCreate(name="A", location="A")
        await stores.create_store(
            actor=actor, data=data, events=EventLog(retention=timedelta(days=2))
        )
        [event] = await Event.find({"gerant_id": gerant.id}).to_list()
        assert event.expires_at - event.created_at == timedelta(days=2)
