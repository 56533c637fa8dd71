"""A data directory provisioned as a deployment starts: a gérant and an API key made with the
CLI, then `rpai serve` on it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from contract.permissions import ALL_PERMISSIONS as EVERY_PERMISSION
from tests.support.cli import rpai_json
from tests.support.servers import subprocess_server

ALL_PERMISSIONS = ",".join(EVERY_PERMISSION)
NAME, EMAIL = "Alice Martin", "alice@example.com"


@dataclass(frozen=True)
class Provisioned:
    """What `provision` made: a gérant (with her password if one was set) and her key."""

    data_dir: Path
    gerant_id: str
    email: str
    password: str | None
    key: str


@dataclass(frozen=True)
class ProvisionedServer(Provisioned):
    """A provisioned data directory served by `rpai serve` at `base`."""

    base: str


def create_gerant(
    data_dir: Path,
    name: str = NAME,
    email: str = EMAIL,
    password: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """`rpai create-gerant`, with the password on standard input if given: the gérant's id."""
    args = ["create-gerant", "--name", name, "--email", email]
    stdin = ""
    if password is not None:
        args.append("--password-stdin")
        stdin = f"{password}\n"
    gerant_id: str = rpai_json(data_dir, *args, stdin=stdin, env=env)["id"]
    return gerant_id


def create_key(
    data_dir: Path,
    email: str = EMAIL,
    name: str = "Provision",
    permissions: str = ALL_PERMISSIONS,
    env: dict[str, str] | None = None,
) -> str:
    """`rpai create-api-key` for the gérant of `email`: the key's plaintext."""
    created = rpai_json(
        data_dir,
        "create-api-key",
        "--gerant-email",
        email,
        "--name",
        name,
        "--permissions",
        permissions,
        env=env,
    )
    key: str = created["key"]
    return key


def provision(
    data_dir: Path,
    *,
    name: str = NAME,
    email: str = EMAIL,
    password: str | None = None,
    key_name: str = "Provision",
    permissions: str = ALL_PERMISSIONS,
    env: dict[str, str] | None = None,
) -> Provisioned:
    """A gérant and one key of hers on `data_dir` (every permission unless given)."""
    gerant_id = create_gerant(data_dir, name, email, password, env)
    key = create_key(data_dir, email, key_name, permissions, env)
    return Provisioned(data_dir, gerant_id, email, password, key)


@contextmanager
def provisioned_server(
    folder: Path,
    *,
    name: str = NAME,
    email: str = EMAIL,
    password: str | None = None,
    key_name: str = "Provision",
    permissions: str = ALL_PERMISSIONS,
    env: dict[str, str] | None = None,
    kill: bool = False,
) -> Iterator[ProvisionedServer]:
    """`provision` on `folder`/data, then `rpai serve` on it while the block runs (its log in
    `folder`/server.log; `kill` as for `subprocess_server`)."""
    made = provision(
        folder / "data",
        name=name,
        email=email,
        password=password,
        key_name=key_name,
        permissions=permissions,
        env=env,
    )
    with subprocess_server(made.data_dir, folder / "server.log", env, kill=kill) as base:
        yield ProvisionedServer(made.data_dir, made.gerant_id, email, password, made.key, base)
