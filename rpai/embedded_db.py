"""The embedded SecantusDB as a process of its own: `python -m rpai.embedded_db`.

`rpai serve` runs it as a supervised child, so database work runs on another core than the
API's event loop. It requires authentication from its first instant: the one user is written
into the storage before the port opens, with the password the parent keeps in the data
directory. It stops cleanly on SIGTERM or SIGINT, and by itself when its parent dies.
"""

import argparse
import ctypes
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

from secantus import SecantusDBServer
from secantus.auth import SCRAM_SHA_256, derive_credentials

ADMIN_DB = "admin"
PARENT_POLL_SECONDS = 0.5
# A clean stop that takes longer ends hard: every acknowledged write is already in the synced
# log (see sync_on_commit), so this loses nothing a SIGKILL would not. The kernel ends it
# (SIGALRM's default action), so a stop stuck in native code holding the GIL ends too.
STOP_GRACE_SECONDS = 10
PR_SET_PDEATHSIG = 1


def user_record(username: str, password: str) -> dict[str, Any]:
    """The stored form of a SCRAM-SHA-256 user with every right, as `createUser` writes it."""
    return {
        "_id": f"{ADMIN_DB}.{username}",
        "user": username,
        "db": ADMIN_DB,
        "credentials": derive_credentials(
            password, mechanism=SCRAM_SHA_256, username=username
        ).to_doc(),
        "roles": [{"role": "root", "db": ADMIN_DB}],
        "mechanisms": [SCRAM_SHA_256],
    }


def die_with_parent(stop: threading.Event) -> None:
    """Stop when the parent dies, even by SIGKILL: the kernel's death signal on Linux, and a
    watch on the parent's pid everywhere."""
    libc = ctypes.CDLL(None, use_errno=True)
    if hasattr(libc, "prctl"):
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    parent = os.getppid()

    def watch() -> None:
        while not stop.wait(PARENT_POLL_SECONDS):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def end_with_parent() -> None:
    """SIGTERM this process when its parent dies, even by SIGKILL (a `rpai serve --workers`
    worker: it then stops as on any SIGTERM), and end it hard if that takes longer than
    STOP_GRACE_SECONDS (its last flushes wait on a database that may have died with the
    parent)."""
    stop = threading.Event()
    die_with_parent(stop)

    def end() -> None:
        stop.wait()
        signal.alarm(STOP_GRACE_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=end, daemon=True, name="end-with-parent").start()


def database_server(storage: Path, port: int) -> SecantusDBServer:
    """The server on `storage`, not started: on the loopback, authenticated, durable."""
    return SecantusDBServer(
        host="127.0.0.1",
        port=port,
        storage_path=str(storage),
        require_auth=True,
        enable_test_commands=False,
        # A transaction's commit is acknowledged before its log records reach the disk, even
        # with j:true (seen: 200 committed KPI batches, SIGKILL, 0 to 48 found). Syncing the log
        # at each commit makes every acknowledged write durable, for about 1 ms per commit.
        sync_on_commit=True,
    )


def serve(storage: Path, port: int, credentials: Path) -> None:
    """Open the storage, make sure its user exists, serve until told to stop; orphaned, end at
    once without closing the storage: no one is left to serve, every acknowledged commit is
    already on disk (`sync_on_commit`), and a close's checkpoint on a busy disk can outlast any
    deadline (a process waiting on the disk does not die, not even of SIGKILL)."""
    parent = os.getppid()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    die_with_parent(stop)
    login = json.loads(credentials.read_text())
    server = database_server(storage, port)
    record = user_record(login["username"], login["password"])
    server.storage.add_user(ADMIN_DB, login["username"], record, replace=True)
    server.start()
    try:
        while not stop.wait(PARENT_POLL_SECONDS):
            pass
    finally:
        if os.getppid() != parent:
            os._exit(0)
        signal.alarm(STOP_GRACE_SECONDS)
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rpai.embedded_db", description=__doc__)
    parser.add_argument("--storage", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--credentials", type=Path, required=True)
    args = parser.parse_args(argv)
    os.umask(0o077)
    serve(args.storage, args.port, args.credentials)


if __name__ == "__main__":
    main()
