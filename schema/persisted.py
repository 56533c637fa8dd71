"""Automatic persisted queries, as Apollo clients send them: a registered document's sha256 in
`extensions.persistedQuery` instead of its text.

A hash the process does not know answers PERSISTED_QUERY_NOT_FOUND; the client then sends the
text with the hash, which registers it (for authenticated callers only, so that no anonymous
flood can push the frontend's documents out of the bounded store) and runs it. A known hash
runs its document exactly as if its text had been sent: the same limits (depth, aliases,
tokens), permissions and audit apply.
"""

import hashlib
import re
from typing import Any

from strawberry.http import GraphQLRequestData

from contract import messages
from contract.errors import BadRequest, PersistedQueryNotFound
from infra.persisted_queries import PersistedQueries

VERSION = 1
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The sha256 a request names in `extensions.persistedQuery`, if any."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != VERSION
        or not isinstance(persisted.get("sha256Hash"), str)
        or not SHA256_HEX.fullmatch(persisted["sha256Hash"])
    ):
        raise BadRequest(messages.PERSISTED_QUERY_INVALID)
    digest: str = persisted["sha256Hash"]
    return digest


def resolved_query(
    data: GraphQLRequestData, store: PersistedQueries, *, may_register: bool
) -> str | None:
    """The document to run: the text sent, or the registered one its hash names."""
    digest = requested_hash(data.extensions)
    if digest is None:
        return data.query
    if data.query is None:
        found = store.get(digest)
        if found is None:
            raise PersistedQueryNotFound(messages.PERSISTED_QUERY_NOT_FOUND)
        return found
    if hashlib.sha256(data.query.encode()).hexdigest() != digest:
        raise BadRequest(messages.PERSISTED_QUERY_HASH_MISMATCH)
    if may_register:
        store.add(digest, data.query)
    return data.query
