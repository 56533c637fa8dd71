"""Database bootstrap: bounded failure when unreachable, exclusive ownership of the data dir."""

import time
from pathlib import Path

import pytest

from rpai.database import DatabaseError, connected, database_name, embedded_server
from rpai.settings import Settings


async def test_unreachable_database_fails_fast_with_a_clear_message() -> None:
    url = "mongodb://user:secret@127.0.0.1:1/retail_performer"
    settings = Settings(mongodb_url=url, db_timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(DatabaseError) as raised:
        async with connected(url, settings):
            pass
    assert time.monotonic() - started < 5
    assert str(raised.value) == (
        "Cannot reach MongoDB at 127.0.0.1:1 within 0.5 s. "
        "Check MONGODB_URL and that the server is up."
    )


def test_database_name_comes_from_the_url_path() -> None:
    assert database_name("mongodb://h:1/shop?replicaSet=rs0") == "shop"
    assert database_name("mongodb://h:1/") == "retail_performer"


def test_a_data_directory_has_one_owner(tmp_path: Path) -> None:
    with embedded_server(tmp_path) as url:
        assert url.startswith("mongodb://127.0.0.1:")
        assert (tmp_path / "db-address.json").exists()
        with pytest.raises(DatabaseError, match="is in use by another rpai process"):
            embedded_server(tmp_path).__enter__()
    assert not (tmp_path / "db-address.json").exists()
    with embedded_server(tmp_path):
        pass
