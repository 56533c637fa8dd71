"""Background writes survive a database outage: nothing queued is lost, the log stays short."""

import logging
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from infra.audit_buffer import AuditBuffer
from infra.background import run_logged
from infra.key_usage import KeyUsageRecorder
from models import ApiKey, AuditRecord
from tests.support.factories import make_gerant, make_key


def outage(*_: Any, **__: Any) -> Any:
    raise AutoReconnect("db:27017: connection refused")


@pytest.mark.usefixtures("mock_db")
async def test_audit_records_wait_for_the_next_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    audit_log = AuditBuffer(retention=timedelta(days=1))
    audit_log.record(method="GET", path="/x", status=200, latency_ms=1.0, request_id="r1")
    with monkeypatch.context() as patched:
        patched.setattr(type(AuditRecord.get_motor_collection()), "insert_many", outage)
        with pytest.raises(AutoReconnect):
            await audit_log.flush()
    audit_log.record(method="GET", path="/y", status=200, latency_ms=1.0, request_id="r2")
    assert await audit_log.flush() == 2
    assert sorted(r.request_id for r in await AuditRecord.find_all().to_list()) == ["r1", "r2"]


@pytest.mark.usefixtures("client")  # mongomock cannot `$max` against a null field
async def test_last_used_stamps_wait_for_the_next_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    await make_key(await make_gerant())
    stored = await ApiKey.find_one()
    assert stored is not None
    key_usage = KeyUsageRecorder()
    key_usage.touch(stored.id)
    with monkeypatch.context() as patched:
        patched.setattr(type(ApiKey.get_motor_collection()), "bulk_write", outage)
        with pytest.raises(AutoReconnect):
            await key_usage.flush()
    assert await key_usage.flush() == 1
    stamped = await ApiKey.get(stored.id)
    assert stamped is not None
    assert stamped.last_used_at is not None


async def test_an_outage_is_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    async def job() -> None:
        outage()

    with caplog.at_level(logging.WARNING):
        await run_logged(job)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "database unavailable (AutoReconnect)" in record.getMessage()


@pytest.mark.usefixtures("client")
async def test_a_flush_cut_short_never_sends_a_written_record_again() -> None:
    audit_log = AuditBuffer(retention=timedelta(days=1))
    audit_log.record(method="GET", path="/x", status=200, latency_ms=1.0, request_id="r1")
    written_before = list(audit_log.pending)
    await AuditRecord.get_motor_collection().insert_many([dict(r) for r in written_before])
    # As after a timeout that struck once the first record was written: it is queued again.
    audit_log.pending = [*written_before, *audit_log.pending]
    audit_log.record(method="GET", path="/y", status=200, latency_ms=1.0, request_id="r2")
    assert await audit_log.flush() == 1
    assert audit_log.pending == []
    assert await audit_log.flush() == 0
    assert sorted(r.request_id for r in await AuditRecord.find_all().to_list()) == ["r1", "r2"]
