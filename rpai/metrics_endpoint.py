"""Prometheus metrics on a port of their own, so that publishing the API never publishes them."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import start_http_server

logger = logging.getLogger(__name__)


class MetricsPortError(RuntimeError):
    """The metrics port cannot be opened; the message is meant for a person."""


@contextmanager
def metrics_endpoint(host: str, port: int) -> Iterator[None]:
    """Serve `/metrics` (the default registry) on `host:port` in a thread while inside; port 0
    turns it off."""
    if port == 0:
        logger.info("metrics endpoint off (RPAI_METRICS_PORT=0)")
        yield
        return
    try:
        server, thread = start_http_server(port, addr=host)
    except OSError as exc:
        raise MetricsPortError(
            f"cannot serve metrics on {host}:{port} ({exc.strerror}): set RPAI_METRICS_PORT to "
            "a free port, or 0 to turn metrics off"
        ) from exc
    logger.info("metrics on http://%s:%d/metrics", host, port)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
