"""Tenant scope in one place per domain: no tenant filter built by hand outside the scope
helpers (`resolvers/scopes.py`), and what those helpers return.

The check reads every module of `resolvers/` (sub-packages included) and `contract/` and flags,
outside the allowlisted functions:
- a dict literal with a `"gerant_id"` key, or `query["gerant_id"] = ...`: a filter written out;
- `x.gerant_id == ...` / `!=` (a tenant compared by hand, in memory or as a Beanie expression),
  and `... == Model.gerant_id` (a Beanie expression written the other way round);
- `gerant_id=` passed to a query call (`find`, `update_one`, `UpdateOne`, `dict`...) or to a
  scope helper (it would replace the tenant the helper was given).
Setting the tenant of a NEW document is not a filter and passes: a document built with
`Store(gerant_id=...)` (or through a function that builds one, `_insert_key(gerant_id=...)`),
and `{"$set": {"gerant_id": ...}}` in an upsert. `entry["gerant_id"]` read from a document,
`user.id != actor.gerant_id` (a user compared with the tenant's owner) and `"$gerant_id"` (a
field path of a pipeline) pass too.
"""

import ast
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.actor import Actor
from resolvers import scopes

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("resolvers", "contract")

# The functions allowed to write a tenant filter, by module and function: the scope helpers.
SCOPE_HELPERS = frozenset(
    {
        ("resolvers/scopes.py", "_tenant"),
        ("resolvers/kpi/scope.py", "KpiTenant._with_tenant"),
        ("resolvers/kpi/scope.py", "ReadingScope.admits"),  # an entry in the scope, no filter
    }
)
ALLOWED = SCOPE_HELPERS

QUERY_CALLS = frozenset(
    {
        "find",
        "find_one",
        "find_many",
        "find_all",
        "update_one",
        "update_many",
        "delete_one",
        "delete_many",
        "replace_one",
        "count_documents",
        "distinct",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "UpdateOne",
        "UpdateMany",
        "DeleteOne",
        "DeleteMany",
        "ReplaceOne",
        "dict",
    }
)
# The helpers by name, for a call that imports one rather than the module.
SCOPE_FUNCTIONS = frozenset(
    name
    for name, value in vars(scopes).items()
    if inspect.isfunction(value) and value.__module__ == scopes.__name__
)
WRITE_OPERATORS = frozenset({"$set", "$setOnInsert"})
TENANT = "gerant_id"


def _is_tenant_attribute(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == TENANT


def _is_model_field(node: ast.expr) -> bool:
    """`Model.gerant_id`: a document class's field, as Beanie expressions name it."""
    return (
        _is_tenant_attribute(node)
        and isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def _callee(call: ast.Call) -> tuple[str | None, str | None]:
    """The called name and, for `a.b(...)`, the name it is looked up on (`a`)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return func.attr, owner
    return None, None


class _Finder(ast.NodeVisitor):
    """The hand-built tenant filters of one module, as (function, line, what)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, int, str]] = []
        self._functions: list[str] = []
        self._written: set[int] = set()  # ids of the dicts that are the value of a "$set"

    def _flag(self, node: ast.AST, what: str) -> None:
        function = ".".join(self._functions) or "<module>"
        self.found.append((function, getattr(node, "lineno", 0), what))

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._functions.append(node.name)
        self.generic_visit(node)
        self._functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in WRITE_OPERATORS:
                if isinstance(value, ast.Dict):
                    self._written.add(id(value))
        if id(node) not in self._written and any(
            isinstance(key, ast.Constant) and key.value == TENANT for key in node.keys
        ):
            self._flag(node, '{"gerant_id": ...}')
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if (
            isinstance(node.ctx, ast.Store)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == TENANT
        ):
            self._flag(node, '[...]["gerant_id"] = ...')
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        equality = all(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        if equality and (
            _is_tenant_attribute(node.left) or any(map(_is_model_field, node.comparators))
        ):
            self._flag(node, ".gerant_id == ...")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name, owner = _callee(node)
        query = name in QUERY_CALLS or owner == "scopes" or name in SCOPE_FUNCTIONS
        if query and any(keyword.arg == TENANT for keyword in node.keywords):
            self._flag(node, f"{name}(gerant_id=...)")
        self.generic_visit(node)


def inline_filters(source: str) -> list[tuple[str, int, str]]:
    """The tenant filters `source` builds by hand: (function, line, what) each."""
    finder = _Finder()
    finder.visit(ast.parse(source))
    return finder.found


def scanned_modules() -> Iterator[tuple[str, str]]:
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text()


def all_inline_filters() -> dict[tuple[str, str], list[str]]:
    """Every hand-built tenant filter of the scanned modules, by (module, function)."""
    found: dict[tuple[str, str], list[str]] = {}
    for module, source in scanned_modules():
        for function, line, what in inline_filters(source):
            found.setdefault((module, function), []).append(f"{module}:{line} {what}")
    return found


def test_no_tenant_filter_is_built_outside_the_scope_helpers() -> None:
    outside = [
        place
        for where, places in all_inline_filters().items()
        if where not in ALLOWED
        for place in places
    ]
    assert not outside, "built by hand, not from resolvers/scopes.py:\n" + "\n".join(outside)


def test_every_exception_is_still_needed() -> None:
    """An allowlisted function that builds no filter any more (moved, renamed or converted to
    a helper) leaves the list."""
    assert sorted(ALLOWED - set(all_inline_filters())) == []


PLANTED = {
    "dict key": 'async def f(a):\n    return await Store.find_one({"_id": 1, "gerant_id": a})\n',
    "merged dict": 'def f(a, q):\n    return {**q, "gerant_id": a.gerant_id}\n',
    "subscript": 'def f(a):\n    q = {}\n    q["gerant_id"] = a.gerant_id\n    return q\n',
    "beanie expression": "def f(a):\n    return Store.find(Store.gerant_id == a.gerant_id)\n",
    "reversed expression": "def f(a):\n    return Store.find(a.gerant_id == Store.gerant_id)\n",
    "in-memory check": "def f(a, s):\n    return s.gerant_id != a.gerant_id\n",
    "keyword filter": "def f(c, a):\n    return c.find_one(gerant_id=a.gerant_id)\n",
    "dict call": "def f(a):\n    return dict(gerant_id=a.gerant_id)\n",
    "helper override": "def f(a):\n    return scopes.stores(a.gerant_id, gerant_id='x')\n",
    "nested upsert filter": (
        'def f(a):\n    return UpdateOne({"gerant_id": a}, {"$set": {"x": 1}}, upsert=True)\n'
    ),
}

ALLOWED_SOURCES = {
    "new document": "def f(a):\n    return Store(gerant_id=a.gerant_id, name='x')\n",
    "document builder": "async def f(a):\n    return await _insert_key(gerant_id=a.gerant_id)\n",
    "upserted field": (
        'def f(a, k):\n    return UpdateOne(k, {"$set": {"gerant_id": a.gerant_id}}, upsert=True)\n'
    ),
    "read from a document": 'def f(e):\n    return e["gerant_id"]\n',
    "the owner": "def f(u, a):\n    return u.id != a.gerant_id\n",
    "field path": 'def f():\n    return {"$group": {"_id": "$gerant_id"}}\n',
    "actor": "def f(k):\n    return Actor(gerant_id=k.gerant_id)\n",
    "through a helper": (
        "def f(a, i):\n    return Store.find_one(scopes.stores(a.gerant_id, _id=i))\n"
    ),
}


@pytest.mark.parametrize("source", PLANTED.values(), ids=PLANTED.keys())
def test_a_planted_filter_is_found(source: str) -> None:
    assert [function for function, _, _ in inline_filters(source)] == ["f"]


@pytest.mark.parametrize("source", ALLOWED_SOURCES.values(), ids=ALLOWED_SOURCES.keys())
def test_a_new_document_or_a_read_is_not_a_filter(source: str) -> None:
    assert inline_filters(source) == []


def test_a_method_is_named_with_its_class() -> None:
    source = "class W:\n    def admits(self, e):\n        return e.gerant_id == self.gerant_id\n"
    assert inline_filters(source) == [("W.admits", 3, ".gerant_id == ...")]


def actor(store_ids: frozenset[str] | None) -> Actor:
    return Actor(gerant_id="usr_t", permissions=frozenset(), store_ids=store_ids)


class TestScopes:
    """Each helper's filter: the tenant first, then the conditions it was given."""

    @pytest.mark.parametrize(
        "helper",
        [
            scopes.stores,
            scopes.users,
            scopes.api_keys,
            scopes.invitations,
            scopes.audit_records,
            scopes.events,
            scopes.webhook_endpoints,
            scopes.webhook_deliveries,
            scopes.new_document,
        ],
    )
    def test_a_tenant_and_conditions(self, helper: Callable[..., dict[str, Any]]) -> None:
        assert helper("usr_t") == {"gerant_id": "usr_t"}
        assert list(helper("usr_t", status=1).items()) == [("gerant_id", "usr_t"), ("status", 1)]
        assert list(helper("usr_t", status=1, _id="x").items()) == [
            ("_id", "x"),
            ("gerant_id", "usr_t"),
            ("status", 1),
        ]

    def test_staff_are_the_managers_and_sellers(self) -> None:
        assert scopes.staff("usr_t", store_id="sto_1") == {
            "gerant_id": "usr_t",
            "role": {"$in": ["manager", "seller"]},
            "store_id": "sto_1",
        }

    def test_readable_stores_narrow_to_the_key_stores(self) -> None:
        assert scopes.readable_stores(actor(None)) == {"gerant_id": "usr_t"}
        assert scopes.readable_stores(actor(frozenset({"sto_2", "sto_1"}))) == {
            "gerant_id": "usr_t",
            "_id": {"$in": ["sto_1", "sto_2"]},
        }

    def test_readable_staff_narrow_to_the_key_stores(self) -> None:
        staff = {"gerant_id": "usr_t", "role": {"$in": ["manager", "seller"]}}
        assert scopes.readable_staff(actor(None)) == staff
        assert scopes.readable_staff(actor(frozenset({"sto_2", "sto_1"}))) == {
            **staff,
            "store_id": {"$in": ["sto_1", "sto_2"]},
        }
