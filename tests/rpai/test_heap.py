"""A serving process sets the objects it holds from start-up aside from the garbage collector,
so that a full collection walks only what requests made."""

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.support.cli import environment

MODULES_AND_SCHEMAS = 100_000  # objects the app holds from start-up: about 155,000


@pytest.fixture
def thawed() -> Iterator[None]:
    """The test process's heap as it was: what a test froze goes back to the collector."""
    yield
    gc.unfreeze()


def frozen_after(tmp_path: Path, code: str) -> int:
    """How many objects are set aside once `code` has run in a fresh interpreter."""
    counted = subprocess.run(
        [sys.executable, "-c", f"import gc\n{code}\nprint(gc.get_freeze_count())"],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(counted.stdout)


def test_the_asgi_app_is_served_with_its_start_up_objects_set_aside(tmp_path: Path) -> None:
    assert frozen_after(tmp_path, "import rpai.asgi") > MODULES_AND_SCHEMAS


def test_each_worker_sets_its_start_up_objects_aside(tmp_path: Path) -> None:
    """A `rpai serve --workers N` process builds its app with `worker_app`."""
    code = "from rpai.asgi import worker_app\ngc.unfreeze()\nworker_app()"
    assert frozen_after(tmp_path, code) > MODULES_AND_SCHEMAS


@pytest.mark.usefixtures("thawed")
def test_serve_sets_the_start_up_objects_aside_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rpai.cli import _run
    from rpai.settings import Settings

    frozen_when_served: list[int] = []

    def run(*_: Any, **__: Any) -> None:
        frozen_when_served.append(gc.get_freeze_count())

    monkeypatch.setattr(uvicorn, "run", run)
    gc.unfreeze()
    settings = Settings(mongodb_url="mongodb://127.0.0.1:1/unused", data_dir=tmp_path)
    _run(settings, {})
    assert frozen_when_served[0] > MODULES_AND_SCHEMAS
