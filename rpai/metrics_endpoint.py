"""Prometheus metrics on a port of their own, so that publishing the API never publishes them."""

import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from tempfile import TemporaryDirectory

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

logger = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable


class MetricsPortError(RuntimeError):
    """The metrics port cannot be opened; the message is meant for a person."""


@contextmanager
def _workers_registry() -> Iterator[CollectorRegistry]:
    """A registry adding up the metrics of the workers this process starts: each writes its
    own to a file in a directory named in the environment they inherit (prometheus_client's
    multiprocess mode), removed when the server ends."""
    with TemporaryDirectory(prefix="rpai-metrics-") as folder:
        os.environ[MULTIPROCESS_DIR] = folder
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        try:
            yield registry
        finally:
            del os.environ[MULTIPROCESS_DIR]


@contextmanager
def metrics_endpoint(host: str, port: int, workers: int = 1) -> Iterator[None]:
    """Serve `/metrics` on `host:port` in a thread while inside: this process's own, or with
    `workers` > 1 those of the worker processes it starts meanwhile; port 0 turns it off."""
    if port == 0:
        logger.info("metrics endpoint off (RPAI_METRICS_PORT=0)")
        yield
        return
    with ExitStack() as stack:
        registry = REGISTRY
        if workers > 1:
            registry = stack.enter_context(_workers_registry())
        try:
            server, thread = start_http_server(port, addr=host, registry=registry)
        except OSError as exc:
            raise MetricsPortError(
                f"cannot serve metrics on {host}:{port} ({exc.strerror}): set RPAI_METRICS_PORT "
                "to a free port, or 0 to turn metrics off"
            ) from exc
        logger.info("metrics on http://%s:%d/metrics", host, port)
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
