"""Every log record names the request it was logged for (or `-` outside any request)."""

import logging
from typing import Any

from edge.context import current_request_id

_default_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _default_factory(*args, **kwargs)
    record.request_id = current_request_id.get()
    return record


def install_request_ids() -> None:
    """Make every record carry `request_id`, whichever logger or handler it goes through."""
    logging.setLogRecordFactory(_record_with_request_id)
