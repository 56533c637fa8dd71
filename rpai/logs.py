"""Logging of a served process: each line names its request; secrets never reach access logs."""

import logging

from edge.log_filters import RedactTokens, RequestIdFilter

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level: str) -> None:
    """Root handler with request ids; uvicorn's access lines with `token=` values blanked."""
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
