"""Database bootstrap: bounded failure when unreachable, exclusive ownership of the data dir,
and the embedded SecantusDB as a private, supervised child process."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from rpai.database import DatabaseError, connected, database_name, embedded_server, ping
from rpai.embedded_db import STOP_GRACE_SECONDS
from rpai.settings import Settings

SECONDS_TO_RESTART = 30


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


def database_children(pid: int, data_dir: Path) -> list[int]:
    """The embedded databases `pid` started on `data_dir`, alive (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in map(int, (task / "children").read_text().split()):
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"rpai.embedded_db" in command and str(data_dir).encode() in b" ".join(command):
                found.append(child)
    return [child for child in found if alive(child)]


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def test_a_data_directory_has_one_owner(tmp_path: Path) -> None:
    with embedded_server(tmp_path) as url:
        assert url.startswith("mongodb://rpai:")
        assert "@127.0.0.1:" in url
        assert (tmp_path / "db-address.json").exists()
        with pytest.raises(DatabaseError, match="is in use by another rpai process"):
            embedded_server(tmp_path).__enter__()
    assert not (tmp_path / "db-address.json").exists()
    with embedded_server(tmp_path):
        pass


def test_the_data_is_private_to_its_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with embedded_server(data) as url:
        client: MongoClient[dict[str, object]] = MongoClient(url)
        client.shop.stores.insert_one({"name": "Lyon"})
        client.close()
        port = url.rsplit(":", 1)[1].split("/")[0]
        anonymous: MongoClient[dict[str, object]] = MongoClient(f"mongodb://127.0.0.1:{port}/")
        with pytest.raises(OperationFailure) as refused:
            anonymous.shop.stores.find_one()
        assert refused.value.code == 13  # Unauthorized
        anonymous.close()
        wrong = url.replace("rpai:", "rpai:x", 1)
        assert not ping(wrong, 1000)
        modes = {
            path.relative_to(data): stat.S_IMODE(path.stat().st_mode)
            for path in [data, *data.rglob("*")]
        }
    assert modes[Path(".")] == 0o700
    assert {mode for path, mode in modes.items() if (data / path).is_dir()} == {0o700}
    files = {path: mode for path, mode in modes.items() if not (data / path).is_dir()}
    assert Path("db-credentials.json") in files
    assert set(files.values()) == {0o600}, files


def test_a_database_that_dies_alone_is_started_again(tmp_path: Path) -> None:
    with embedded_server(tmp_path) as url:
        [child] = database_children(os.getpid(), tmp_path)
        os.kill(child, signal.SIGKILL)
        assert wait_until(lambda: not alive(child), 10)
        assert wait_until(lambda: ping(url, 500), SECONDS_TO_RESTART)
        client: MongoClient[dict[str, object]] = MongoClient(url)
        client.shop.stores.insert_one({"name": "Lyon"})
        client.close()


def test_the_database_never_outlives_its_owner(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from rpai.database import embedded_server
                with embedded_server(Path({str(tmp_path)!r})):
                    print("ready", flush=True)
                    time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    assert owner.stdout.readline().strip() == "ready"
    [child] = database_children(owner.pid, tmp_path)
    owner.kill()
    owner.wait()
    owner.stdout.close()
    assert wait_until(lambda: not alive(child), 30)
    # Ended without closing its storage: the next owner opens it all the same.
    with embedded_server(tmp_path) as url:
        assert ping(url, 5000)


def test_an_orphaned_database_ends_without_closing_its_storage(tmp_path: Path) -> None:
    """Its owner killed, the database ends within the parent watch's poll, not after its close
    (here one that would take two minutes, holding the GIL)."""
    credentials = tmp_path / "credentials.json"
    credentials.write_text('{"username": "rpai", "password": "secret"}')
    serve = textwrap.dedent(
        f"""
        import ctypes
        from pathlib import Path
        from secantus import SecantusDBServer
        from rpai import embedded_db
        SecantusDBServer.stop = lambda self: ctypes.PyDLL(None).sleep(120)
        SecantusDBServer.start = lambda self: print("ready", flush=True)
        embedded_db.serve(Path({str(tmp_path / "db")!r}), 1, Path({str(credentials)!r}))
        """
    )
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import subprocess, sys, time
                database = subprocess.Popen([sys.executable, "-c", {serve!r}])
                print(database.pid, flush=True)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    said = {owner.stdout.readline().strip() for _ in range(2)}  # its pid, and its "ready"
    assert "ready" in said
    [database] = map(int, said - {"ready"})
    owner.kill()
    owner.wait()
    owner.stdout.close()
    assert wait_until(lambda: not alive(database), STOP_GRACE_SECONDS / 2)


def test_a_stop_stuck_holding_the_interpreter_still_ends(tmp_path: Path) -> None:
    """The stop's deadline is the kernel's: a storage close that never lets a Python thread
    run (here libc's sleep called holding the GIL) ends at STOP_GRACE_SECONDS all the same."""
    credentials = tmp_path / "credentials.json"
    credentials.write_text('{"username": "rpai", "password": "secret"}')
    stuck = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import ctypes, sys, threading
                from pathlib import Path
                from secantus import SecantusDBServer
                from rpai import embedded_db
                SecantusDBServer.stop = lambda self: ctypes.PyDLL(None).sleep(120)
                SecantusDBServer.start = lambda self: print("ready", flush=True)
                embedded_db.serve(Path({str(tmp_path / "db")!r}), 1, Path({str(credentials)!r}))
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert stuck.stdout is not None
    assert stuck.stdout.readline().strip() == "ready"
    stuck.send_signal(signal.SIGTERM)
    assert stuck.wait(timeout=STOP_GRACE_SECONDS + 15) == -signal.SIGALRM
    stuck.stdout.close()
