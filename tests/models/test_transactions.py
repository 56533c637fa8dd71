"""Which failures a transaction is run again for: conflicts, not a database out of reach."""

import pytest
from pymongo.errors import (
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from models.transactions import TRANSIENT_TRANSACTION_ERROR, WRITE_CONFLICT, _transient


def labelled(exc: PyMongoError) -> PyMongoError:
    exc._add_error_label(TRANSIENT_TRANSACTION_ERROR)
    return exc


@pytest.mark.parametrize(
    "exc",
    [
        OperationFailure("write conflict", code=WRITE_CONFLICT),
        labelled(OperationFailure("transaction aborted", code=251)),
    ],
)
def test_a_conflict_is_run_again(exc: PyMongoError) -> None:
    assert _transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        # The driver labels these transient too: run again, each would wait its timeout again
        # and the caller would get the 503 several timeouts late.
        labelled(ServerSelectionTimeoutError("no server")),
        labelled(NetworkTimeout("timed out")),
        labelled(OperationFailure("operation exceeded time limit", code=50)),
        OperationFailure("duplicate key", code=11000),
    ],
)
def test_an_unreachable_or_slow_database_is_not(exc: PyMongoError) -> None:
    assert not _transient(exc)
