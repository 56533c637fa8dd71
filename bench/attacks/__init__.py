"""The reviewers' attacks, scripted against a real `rpai serve` on the embedded database.

Each scenario module holds `async def run(target: Target) -> list[str]`: it attacks the
server and returns its figures as lines. `make attack` runs every scenario of SCENARIOS, each
on a fresh server, and prints them. Not a test: figures vary with the machine.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.support.cli import environment
from tests.support.provisioned import provisioned_server

GERANT_EMAIL = "gerant@attack.example"
GERANT_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Target:
    """A provisioned server: its address, a gérant with a password and a key of every permission."""

    base_url: str
    api_key: str
    gerant_email: str
    gerant_password: str
    data_dir: Path
    env: dict[str, str]


@contextmanager
def provisioned(overrides: dict[str, str] | None = None) -> Iterator[Target]:
    """`rpai serve` on a fresh embedded database, with a gérant (password set) and an API key;
    killed with its database at the end (nothing to wait for after a flood)."""
    with TemporaryDirectory(prefix="rpai-attack-") as folder:
        with provisioned_server(
            Path(folder),
            name="Gérant Attaqué",
            email=GERANT_EMAIL,
            password=GERANT_PASSWORD,
            key_name="Attaque",
            env=overrides,
            kill=True,
        ) as served:
            env = {**environment(served.data_dir), **(overrides or {})}
            yield Target(
                served.base, served.key, GERANT_EMAIL, GERANT_PASSWORD, served.data_dir, env
            )
