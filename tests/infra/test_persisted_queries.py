"""The persisted-query store stays bounded: least recently used out first, long texts never in."""

from infra.persisted_queries import MAX_LENGTH, PersistedQueries


def test_the_least_recently_used_document_goes_first() -> None:
    store = PersistedQueries(capacity=2)
    store.add("a", "{ a }")
    store.add("b", "{ b }")
    assert store.get("a") == "{ a }"  # used: b is now the oldest
    store.add("c", "{ c }")
    assert (store.get("a"), store.get("b"), store.get("c")) == ("{ a }", None, "{ c }")
    assert len(store.documents) == 2


def test_a_document_too_long_is_not_kept() -> None:
    store = PersistedQueries()
    store.add("long", "{" + " " * MAX_LENGTH + "}")
    store.add("fits", "{ x }")
    assert (store.get("long"), store.get("fits")) == (None, "{ x }")
