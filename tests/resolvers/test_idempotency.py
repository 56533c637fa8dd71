"""Idempotency rules on mongomock: key bounds, fingerprints, kept answers, lock hand-over."""

from datetime import timedelta

import pytest

from models import IdempotencyRecord
from models.clock import utcnow
from models.idempotency_record import StoredResponse
from resolvers.errors import BadRequest, Conflict, UnprocessableEntity
from resolvers.idempotency import (
    LOCK_TIMEOUT,
    Claim,
    check_key,
    claim,
    complete,
    fingerprint,
    is_final,
    release,
)

pytestmark = pytest.mark.usefixtures("mock_db")

TTL = timedelta(hours=24)
OK = StoredResponse(status=200, content_type="application/json", body=b'{"ok":true}')


async def take(key: str = "k", print_: str = "fp") -> Claim:
    claimed = await claim(tenant_id="gerant_1", key=key, fingerprint=print_, ttl=TTL)
    assert isinstance(claimed, Claim)
    return claimed


async def age(claimed: Claim, by: timedelta) -> None:
    """Make the claim look older, as if its process had died that long ago."""
    await IdempotencyRecord.get_motor_collection().update_one(
        {"_id": claimed.record_id}, {"$set": {"locked_at": utcnow() - by}}
    )


class TestRules:
    @pytest.mark.parametrize("key", ["a", "x" * 255, "é" * 255])
    def test_keys_of_1_to_255_characters_pass(self, key: str) -> None:
        check_key(key)

    @pytest.mark.parametrize("key", ["", "x" * 256])
    def test_other_lengths_are_refused(self, key: str) -> None:
        with pytest.raises(BadRequest):
            check_key(key)

    def test_fingerprint_covers_method_path_and_body(self) -> None:
        base = fingerprint(method="POST", path="/a", body=b"{}")
        assert base == fingerprint(method="POST", path="/a", body=b"{}")
        others = {
            fingerprint(method="PUT", path="/a", body=b"{}"),
            fingerprint(method="POST", path="/b", body=b"{}"),
            fingerprint(method="POST", path="/a", body=b"{ }"),
        }
        assert base not in others
        assert len(others) == 3

    @pytest.mark.parametrize(
        ("status", "final"),
        [(200, True), (400, True), (404, True), (408, False), (429, False), (500, False)],
    )
    def test_server_errors_and_retry_later_answers_are_not_kept(
        self, status: int, final: bool
    ) -> None:
        assert is_final(status) is final


class TestClaim:
    async def test_second_claim_waits_then_replays(self) -> None:
        claimed = await take()
        with pytest.raises(Conflict):
            await take()
        await complete(claimed, OK)
        assert await claim(tenant_id="gerant_1", key="k", fingerprint="fp", ttl=TTL) == OK

    async def test_another_request_is_refused_even_while_running(self) -> None:
        await take()
        with pytest.raises(UnprocessableEntity):
            await take(print_="other")

    async def test_released_key_runs_again(self) -> None:
        await release(await take())
        await take()

    async def test_an_abandoned_claim_is_taken_over_and_its_owner_cannot_settle(self) -> None:
        dead = await take()
        await age(dead, LOCK_TIMEOUT + timedelta(seconds=1))
        alive = await take()
        await complete(dead, StoredResponse(status=201, content_type=None, body=b"late"))
        await release(dead)
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
        with pytest.raises(Conflict):
            await take()
