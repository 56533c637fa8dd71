"""The reviewers' attacks, scripted against a real `rpai serve` on the embedded database.

Each scenario module holds `async def run(target: Target) -> list[str]`: it attacks the
server and returns its figures as lines. `make attack` runs every scenario of SCENARIOS, each
on a fresh server, and prints them. Not a test: figures vary with the machine.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.chaos import free_port, kill_everything, rpai, start_server

GERANT_EMAIL = "gerant@attack.example"
GERANT_PASSWORD = "correct horse battery staple"
ALL_PERMISSIONS = "stores:read,stores:write,users:read,users:write,kpi:read,kpi:write"


@dataclass(frozen=True)
class Target:
    """A provisioned server: its address, a gérant with a password and a key of every permission."""

    base_url: str
    api_key: str
    gerant_email: str
    gerant_password: str
    data_dir: Path
    env: dict[str, str]


def server_environment(data_dir: Path, overrides: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    return {**env, "RPAI_DATA_DIR": str(data_dir), "RPAI_METRICS_PORT": "0", **overrides}


@contextmanager
def provisioned(overrides: dict[str, str] | None = None) -> Iterator[Target]:
    """`rpai serve` on a fresh embedded database, with a gérant (password set) and an API key."""
    with tempfile.TemporaryDirectory(prefix="rpai-attack-") as folder:
        data_dir = Path(folder) / "data"
        env = server_environment(data_dir, overrides or {})
        rpai(
            data_dir,
            "create-gerant",
            "--name",
            "Gérant Attaqué",
            "--email",
            GERANT_EMAIL,
            "--password-stdin",
            env=env,
            stdin=GERANT_PASSWORD + "\n",
        )
        key = rpai(
            data_dir,
            "create-api-key",
            "--gerant-email",
            GERANT_EMAIL,
            "--name",
            "Attaque",
            "--permissions",
            ALL_PERMISSIONS,
            env=env,
        )["key"]
        port = free_port()
        process = start_server(data_dir, port, Path(folder) / "server.log", env)
        try:
            yield Target(
                f"http://127.0.0.1:{port}", key, GERANT_EMAIL, GERANT_PASSWORD, data_dir, env
            )
        finally:
            kill_everything(process)
