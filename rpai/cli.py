"""The `rpai` command: run the server and bootstrap tenants and keys.

Each command prints exactly one JSON object on stdout; errors go to stderr with exit status 1.
"""

import argparse
import asyncio
import getpass
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType
from typing import Any

from contract.errors import AppError
from contract.validation import parse
from infra.event_log import EventLog
from infra.key_directory import KeyDirectory
from models.clock import as_utc
from resolvers.api_keys import ApiKeyCreate, create_api_key, revoke_api_key
from resolvers.gerants import GerantCreate, create_gerant, get_gerant_by_email
from resolvers.kpi.rollup_admin import check_rollups, rebuild_rollups
from resolvers.sessions import PasswordChange, set_password
from rpai.database import DatabaseError, connected, database_url, embedded_server
from rpai.logs import configure_logging
from rpai.metrics_endpoint import MetricsPortError, metrics_endpoint
from rpai.settings import Settings, get_settings, listening_url

Command = Callable[[argparse.Namespace], Awaitable[dict[str, Any]]]


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


class CliError(Exception):
    """A mistake in how the command was run; the message is meant for a person."""


def _typed_password(email: str, *, optional: bool) -> str | None:
    """A password typed twice at the terminal, without echo; None if optional and left empty."""
    hint = " (empty: none for now)" if optional else ""
    try:
        password = getpass.getpass(f"Password for {email}{hint}: ")
        if optional and password == "":
            return None
        repeated = getpass.getpass("Repeat the password: ")
    except (EOFError, KeyboardInterrupt):
        raise CliError("no password given; nothing was changed") from None
    if repeated != password:
        raise CliError("the two passwords differ; nothing was changed")
    return password


def read_password(args: argparse.Namespace) -> str | None:
    """The password of create-gerant or set-password: asked at a terminal (twice, no echo);
    else, with --password-stdin, the first line of the pipe. create-gerant may have none."""
    optional = args.command == "create-gerant"
    if sys.stdin.isatty():
        return _typed_password(args.email.strip(), optional=optional)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if optional:
        return None
    raise CliError("no terminal to ask the password on: pipe it in with --password-stdin")


async def _create_gerant(args: argparse.Namespace) -> dict[str, Any]:
    data = parse(
        GerantCreate,
        {"name": args.name, "email": args.email.strip(), "password": args.password},
    )
    gerant = await create_gerant(data=data)
    return {"id": gerant.id, "name": gerant.name, "email": gerant.email}


async def _set_password(args: argparse.Namespace) -> dict[str, Any]:
    data = parse(PasswordChange, {"email": args.email.strip(), "password": args.password or ""})
    user = await set_password(data=data)
    return {"id": user.id, "email": user.email, "password_set": True}


def _event_log() -> EventLog:
    """The event log as the server keeps it: the same settings (RPAI_EVENT_RETENTION_DAYS)."""
    return EventLog(retention=timedelta(days=get_settings().event_retention_days))


async def _create_api_key(args: argparse.Namespace) -> dict[str, Any]:
    spec = parse(
        ApiKeyCreate,
        {
            "name": args.name,
            "permissions": _split(args.permissions),
            "store_ids": _split(args.store_ids),
            "expires_in_days": args.expires_in_days,
        },
    )
    gerant = await get_gerant_by_email(email=args.gerant_email)
    created = await create_api_key(gerant=gerant, spec=spec, events=_event_log())
    key = created.api_key
    return {
        "id": key.id,
        "key": created.key,
        "name": key.name,
        "permissions": key.permissions,
        "store_ids": key.store_ids,
        "expires_at": as_utc(key.expires_at).isoformat() if key.expires_at else None,
    }


async def _revoke_api_key(args: argparse.Namespace) -> dict[str, Any]:
    key = await revoke_api_key(key_id=args.key_id, keys=KeyDirectory(), events=_event_log())
    return {"id": key.id, "active": key.active}


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)  # noqa: T201 - progress of a long command


async def _rebuild_rollups(args: argparse.Namespace) -> dict[str, Any]:
    written = await rebuild_rollups(progress=_progress, restart=args.restart)
    return {"rollups_written": written}


async def _check_rollups(_args: argparse.Namespace) -> dict[str, Any]:
    differences = await check_rollups()
    return {
        "differences": len(differences),
        "rollups": [difference.rollup_id for difference in differences[:MAX_LISTED]],
    }


def _run_database_command(command: Command, args: argparse.Namespace, settings: Settings) -> int:
    async def run(url: str) -> dict[str, Any]:
        async with connected(url, settings):
            return await command(args)

    with database_url(settings) as url:
        result = asyncio.run(run(url))
    print(json.dumps(result))  # noqa: T201 - the CLI's output contract
    return 1 if result.get("differences") else 0


def _stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM ends the process like Ctrl-C does, through every `finally` and `with` exit.

    uvicorn shuts down gracefully on SIGTERM, then raises it again with the handlers it found:
    this one, so the embedded database is stopped cleanly after it."""
    raise SystemExit(128 + signum)


def _listening(settings: Settings, host: str, port: int) -> Settings:
    """The settings of a server on `host:port`: links point there unless RPAI_PUBLIC_URL says."""
    if settings.public_url:
        return settings
    return settings.model_copy(update={"public_url": listening_url(host, port)})


@contextmanager
def _around_serve(args: argparse.Namespace, settings: Settings) -> Iterator[Settings]:
    """What `rpai serve` adds around the server it runs: links to the address it listens on,
    its processes (`--workers` over RPAI_WORKERS), and the metrics on their own port."""
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1")
    served = _listening(settings, args.host, args.port)
    served = served.model_copy(update={"workers": args.workers or settings.workers})
    with metrics_endpoint(served.metrics_host, served.metrics_port, served.workers):
        yield served


def uvicorn_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """How `rpai serve` runs uvicorn: the client address is the connection's, or the one in
    `X-Forwarded-For` only on a connection from a proxy of FORWARDED_ALLOW_IPS. By default
    none is trusted: uvicorn's own default trusts the loopback, where any local client could
    name the address its failed logins are counted on."""
    return {
        "host": host,
        "port": port,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    log_config = configure_logging(settings.log_level)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    options = {
        **uvicorn_options(settings, args.host, args.port),
        "log_config": log_config,
        "access_log": False,
    }
    if settings.mongodb_url:
        _run(settings, options)
        return
    with embedded_server(settings.data_dir) as url:
        _run(settings.model_copy(update={"mongodb_url": url}), options)


def _run(settings: Settings, options: dict[str, Any]) -> None:
    """One process serving, or `workers` processes on one port under uvicorn's manager; they
    take the database (started once, here) and the public URL from the environment."""
    import uvicorn

    from rpai.app import create_app
    from rpai.heap import freeze_startup_objects

    if settings.workers == 1:
        app = create_app(settings)
        freeze_startup_objects()
        uvicorn.run(app, **options)
        return
    os.environ["MONGODB_URL"] = settings.mongodb_url or ""
    os.environ["RPAI_PUBLIC_URL"] = settings.public_url or ""
    uvicorn.run("rpai.asgi:worker_app", factory=True, workers=settings.workers, **options)


MAX_LISTED = 20  # rollups named by check-rollups
PASSWORD_STDIN_HELP = (
    "read the password from the first line of a pipe; at a terminal it is asked twice, unshown"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rpai", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, help="processes on the port (default RPAI_WORKERS, else 1)"
    )

    gerant = commands.add_parser("create-gerant", help="create a tenant owner")
    gerant.add_argument("--name", required=True)
    gerant.add_argument("--email", required=True)
    gerant.add_argument("--password-stdin", action="store_true", help=PASSWORD_STDIN_HELP)
    gerant.set_defaults(handler=_create_gerant)

    password = commands.add_parser("set-password", help="set a user's password")
    password.add_argument("--email", required=True)
    password.add_argument("--password-stdin", action="store_true", help=PASSWORD_STDIN_HELP)
    password.set_defaults(handler=_set_password)

    key = commands.add_parser("create-api-key", help="create an integration API key")
    key.add_argument("--gerant-email", required=True)
    key.add_argument("--name", required=True)
    key.add_argument(
        "--permissions", required=True, help="comma-separated, e.g. stores:read,kpi:write"
    )
    key.add_argument("--store-ids", help="comma-separated store ids; omit or '*' for all stores")
    key.add_argument("--expires-in-days", type=int)
    key.set_defaults(handler=_create_api_key)

    revoke = commands.add_parser("revoke-api-key", help="deactivate an API key")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=_revoke_api_key)

    rebuild = commands.add_parser(
        "rebuild-rollups",
        help="rebuild the KPI rollups from the raw entries (idempotent; goes on after a stop)",
    )
    rebuild.add_argument("--restart", action="store_true", help="start over, not where it stopped")
    rebuild.set_defaults(handler=_rebuild_rollups)

    check = commands.add_parser(
        "check-rollups", help="compare the KPI rollups with the raw entries (exit 1 on differences)"
    )
    check.set_defaults(handler=_check_rollups)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    try:
        if args.command == "serve":
            with _around_serve(args, settings) as served:
                _serve(args, served)
        else:
            if "password_stdin" in args:
                args.password = read_password(args)
            return _run_database_command(args.handler, args, settings)
    except (AppError, DatabaseError, MetricsPortError, CliError) as exc:
        print(f"rpai: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    except SystemExit as stopped:
        if stopped.code == 128 + signal.SIGTERM:
            return 0
        raise
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    return 0
