"""Logging of a served process: every line names its request; no query string is ever logged.

uvicorn's own access log is off (it prints the query string, where GraphQL GET requests carry
passwords and invitation links carry tokens); the edge logs each request instead, by route.
"""

import logging.config
from typing import Any

from edge.log_records import install_request_ids

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(level: str) -> dict[str, Any]:
    """One format for our loggers and uvicorn's, given to `dictConfig` and to uvicorn."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"format": FORMAT}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
        },
    }


def configure_logging(level: str) -> dict[str, Any]:
    """Set up logging for `rpai serve`; returns the configuration to hand to uvicorn too."""
    install_request_ids()
    config = logging_config(level)
    logging.config.dictConfig(config)
    return config
