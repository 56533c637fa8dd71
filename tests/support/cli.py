"""The `rpai` command run as a user runs it: a subprocess on a data directory of its own."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

RPAI = [sys.executable, "-m", "rpai"]


def environment(data_dir: Path) -> dict[str, str]:
    """The environment of an `rpai` command or server on `data_dir` (the embedded database)."""
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    # Metrics off unless a test asks: a fixed port would clash between servers run side by side.
    return {**env, "RPAI_DATA_DIR": str(data_dir), "RPAI_METRICS_PORT": "0"}


def rpai(
    data_dir: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`rpai *args` on `data_dir`, `env` on top of its environment."""
    return subprocess.run(
        [*RPAI, *args],
        env={**environment(data_dir), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def rpai_json(
    data_dir: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> dict[str, Any]:
    """The one JSON line a successful `rpai *args` prints."""
    result = rpai(data_dir, *args, stdin=stdin, env=env)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    parsed: dict[str, Any] = json.loads(line)
    return parsed
