"""Log filters: each record names its request, and secrets in request lines are blanked."""

import logging
import re

from edge.context import current_request_id

TOKEN_VALUE = re.compile(r"(\btoken=)[^&\s]*")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record, for formats that print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class RedactTokens(logging.Filter):
    """Blanks `token=` query values in access-log lines (uvicorn logs the full request path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_VALUE.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True
