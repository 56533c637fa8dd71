"""Fixtures of the rules' tests that need a real database."""

import pytest

from tests.support.kpi_history import Awkward, History, make_awkward_amounts, make_history


@pytest.fixture
async def history(client: object) -> History:
    del client  # Beanie is bound to the app's SecantusDB database once its lifespan runs
    return await make_history()


@pytest.fixture
async def awkward(client: object) -> Awkward:
    del client  # as for `history`
    return await make_awkward_amounts()
