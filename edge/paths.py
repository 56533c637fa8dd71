"""Which API a request path belongs to."""

from enum import StrEnum

INTEGRATIONS_PREFIX = "/api/integrations"
GRAPHQL_PATH = "/graphql"
# The one upload: a file of any size up to RPAI_IMPORT_MAX_BYTES, streamed to the database.
KPI_IMPORTS_PATH = f"{INTEGRATIONS_PREFIX}/kpi/imports"


class Transport(StrEnum):
    REST = "rest"
    GRAPHQL = "graphql"
    OTHER = "other"  # pages, assets and probes


def transport_of(path: str) -> Transport:
    if path.startswith(INTEGRATIONS_PREFIX):
        return Transport.REST
    if path == GRAPHQL_PATH:
        return Transport.GRAPHQL
    return Transport.OTHER


def is_upload(method: str, path: str) -> bool:
    """Whether a request sends an import's file (its own size limit, a budget per write)."""
    return method == "POST" and path == KPI_IMPORTS_PATH
