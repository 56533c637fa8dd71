"""Which API a request path belongs to."""

from enum import StrEnum

INTEGRATIONS_PREFIX = "/api/integrations"
GRAPHQL_PATH = "/graphql"


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
