"""The idempotency store on mongomock: fingerprints, kept answers, lock hand-over."""

from datetime import timedelta

import pytest

from infra.idempotency_store import LOCK_TIMEOUT, Busy, Claim, IdempotencyStore, fingerprint
from models import IdempotencyRecord
from models.clock import utcnow
from models.idempotency_record import StoredResponse

pytestmark = pytest.mark.usefixtures("mock_db")

STORE = IdempotencyStore(ttl=timedelta(hours=24))
OK = StoredResponse(status=200, content_type="application/json", body=b'{"ok":true}')


async def take(record_id: str = "gerant_1:k", print_: str = "fp") -> Claim:
    claimed = await STORE.claim(record_id=record_id, fingerprint=print_)
    assert isinstance(claimed, Claim)
    return claimed


async def age(claimed: Claim, by: timedelta) -> None:
    """Make the claim look older, as if its process had died that long ago."""
    await IdempotencyRecord.get_motor_collection().update_one(
        {"_id": claimed.record_id}, {"$set": {"locked_at": utcnow() - by}}
    )


def test_fingerprint_covers_method_path_and_body() -> None:
    base = fingerprint(method="POST", path="/a", body=b"{}")
    assert base == fingerprint(method="POST", path="/a", body=b"{}")
    others = {
        fingerprint(method="PUT", path="/a", body=b"{}"),
        fingerprint(method="POST", path="/b", body=b"{}"),
        fingerprint(method="POST", path="/a", body=b"{ }"),
    }
    assert base not in others
    assert len(others) == 3


class TestClaim:
    async def test_second_claim_waits_then_replays(self) -> None:
        claimed = await take()
        assert await STORE.claim(record_id="gerant_1:k", fingerprint="fp") is Busy.IN_PROGRESS
        await STORE.complete(claimed, OK)
        assert await STORE.claim(record_id="gerant_1:k", fingerprint="fp") == OK

    async def test_another_request_is_refused_even_while_running(self) -> None:
        await take()
        assert await STORE.claim(record_id="gerant_1:k", fingerprint="other") is Busy.REUSED

    @pytest.mark.parametrize("created", [False, True])
    async def test_released_key_runs_again(self, created: bool) -> None:
        await STORE.release(await take(), created=created)
        await take()

    async def test_a_retry_of_a_request_that_created_keeps_its_operation_id(self) -> None:
        first = await take()
        await STORE.release(first, created=True)
        retry = await take()
        await STORE.release(retry, created=True)
        other = await take(print_="another request")
        assert retry.operation_id == first.operation_id
        assert other.operation_id != first.operation_id

    async def test_an_abandoned_request_is_retried_under_its_operation_id(self) -> None:
        dead = await take()
        await age(dead, LOCK_TIMEOUT + timedelta(seconds=1))
        assert (await take()).operation_id == dead.operation_id

    async def test_a_release_without_creates_removes_the_record(self) -> None:
        await STORE.release(await take(), created=False)
        assert await IdempotencyRecord.count() == 0

    async def test_an_abandoned_claim_is_taken_over_and_its_owner_cannot_settle(self) -> None:
        dead = await take()
        await age(dead, LOCK_TIMEOUT + timedelta(seconds=1))
        alive = await take()
        await STORE.complete(dead, StoredResponse(status=201, content_type=None, body=b"late"))
        await STORE.release(dead, created=True)
        record = await IdempotencyRecord.get(alive.record_id)
        assert record is not None
        assert (record.lock_id, record.response) == (alive.lock_id, None)

    async def test_only_one_of_two_takeovers_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        dead = await take()
        await age(dead, LOCK_TIMEOUT + timedelta(seconds=1))
        stale = await IdempotencyRecord.get(dead.record_id)
        await take()

        async def stale_read(_record_id: str) -> IdempotencyRecord | None:
            return stale

        monkeypatch.setattr(IdempotencyRecord, "get", stale_read)
        assert await STORE.claim(record_id="gerant_1:k", fingerprint="fp") is Busy.IN_PROGRESS
