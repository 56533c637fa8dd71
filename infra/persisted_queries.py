"""Automatic persisted queries: GraphQL documents by their sha256, in a bounded memory.

Each process keeps the documents its callers registered, the most recently used first, at most
MAX_DOCUMENTS of at most MAX_LENGTH characters (about 20 MB at worst); past that the least
recently used is forgotten, and a client that sends its hash again is asked for the text
(PERSISTED_QUERY_NOT_FOUND), as after a restart or on another process.
"""

from collections import OrderedDict
from dataclasses import dataclass, field

MAX_DOCUMENTS = 1000
MAX_LENGTH = 20_000


@dataclass
class PersistedQueries:
    capacity: int = MAX_DOCUMENTS
    documents: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def get(self, sha256_hash: str) -> str | None:
        document = self.documents.get(sha256_hash)
        if document is not None:
            self.documents.move_to_end(sha256_hash)
        return document

    def add(self, sha256_hash: str, document: str) -> None:
        """Keep `document` under its hash (checked by the caller); too long, it is not kept."""
        if len(document) > MAX_LENGTH:
            return
        self.documents[sha256_hash] = document
        self.documents.move_to_end(sha256_hash)
        while len(self.documents) > self.capacity:
            self.documents.popitem(last=False)
