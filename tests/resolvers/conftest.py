"""Fixtures of the rules' tests that need a real database."""

import pytest

from tests.support.kpi_history import History, make_history


@pytest.fixture
async def history(client: object) -> History:
    del client  # Beanie is bound to the app's SecantusDB database once its lifespan runs
    return await make_history()
