"""Prometheus metrics, defined once; `/metrics` exposes the default registry."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "rpai_http_requests_total",
    "HTTP requests by route template, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "rpai_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUTH_FAILURES = Counter("rpai_auth_failures_total", "Refused authentications by reason", ["reason"])
KPI_ENTRIES_WRITTEN = Counter(
    "rpai_kpi_entries_written_total",
    "KPI entries written by sync, created or updated",
    ["outcome"],
)
RATE_LIMITED = Counter("rpai_rate_limit_rejections_total", "Requests refused with 429", ["limit"])
IDEMPOTENT_REPLAYS = Counter(
    "rpai_idempotent_replays_total", "Responses replayed for a repeated Idempotency-Key"
)
