"""Query costs over random queries of the real schema (hypothesis): no query is priced below
what its fields cost at the least, a `first` out of 1-100 anywhere is refused before any
pricing, and no query, run and refunded, ever adds to its caller's bucket."""

import json
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    parse,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract import messages
from infra.cost_buckets import CostBuckets
from schema import schema
from schema.cost import (
    CONNECTION_COST,
    OBJECT_COST,
    SUMMARY_COST,
    SUMMARY_FIELD,
    VALUE_TYPES,
    Priced,
    check_pages,
    field_of,
    price,
    priced,
    settle,
)

GRAPH = schema._schema
MAX_DEPTH = 4
INT32 = st.integers(-(2**31), 2**31 - 1)
FIRST = st.one_of(
    st.integers(1, 100), st.integers(1, 100), st.sampled_from([-(2**31), -2, 0, 101, 2**31 - 1])
)
Parent = GraphQLObjectType | GraphQLInterfaceType


class Query:
    """A query being written: its variables, and whether a `first` is out of range."""

    def __init__(self) -> None:
        self.definitions: list[str] = []
        self.variables: dict[str, Any] = {}
        self.wrong_first = False
        self.aliases = 0

    def alias(self) -> str:
        self.aliases += 1
        return f"a{self.aliases}"


@st.composite
def literal(draw: st.DrawFn, kind: GraphQLInputType) -> str:
    """A GraphQL literal of an input type (valid, not necessarily meaningful)."""
    if isinstance(kind, GraphQLNonNull):
        return draw(literal(kind.of_type))
    if isinstance(kind, GraphQLList):
        return f"[{draw(literal(kind.of_type))}]"
    if isinstance(kind, GraphQLEnumType):
        return str(draw(st.sampled_from(sorted(kind.values))))
    if isinstance(kind, GraphQLInputObjectType):
        parts = [
            f"{name}: {draw(literal(field.type))}"
            for name, field in kind.fields.items()
            if isinstance(field.type, GraphQLNonNull) or draw(st.booleans())
        ]
        return "{" + ", ".join(parts) + "}"
    assert isinstance(kind, GraphQLScalarType)
    if kind.name == "Int":
        return str(draw(INT32))
    if kind.name == "Float":
        return "1.5"
    if kind.name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if kind.name == "DateTime":
        return '"2024-01-01T00:00:00Z"'
    if kind.name == "Money":
        return '"1.00"'
    days = ["2024-01-01", "2024-03-31", "2023-12-31", "x"]
    names = sorted(GRAPH.type_map)
    return json.dumps(draw(st.sampled_from(days + names[:5] + ["Store", "__Type"])))


@st.composite
def arguments(draw: st.DrawFn, query: Query, field: GraphQLField) -> str:
    parts = []
    for name, argument in field.args.items():
        if name == "first":
            if draw(st.integers(0, 3)) == 0:
                continue  # the default page
            first = draw(FIRST)
            query.wrong_first |= not 1 <= first <= 100
            if draw(st.booleans()):
                variable = f"v{len(query.variables)}"
                query.variables[variable] = first
                query.definitions.append(f"${variable}: Int!")
                parts.append(f"first: ${variable}")
            else:
                parts.append(f"first: {first}")
            continue
        if isinstance(argument.type, GraphQLNonNull) or draw(st.booleans()):
            parts.append(f"{name}: {draw(literal(argument.type))}")
    return f"({', '.join(parts)})" if parts else ""


def fields_of(parent: Parent) -> dict[str, GraphQLField]:
    """The fields a selection on `parent` may ask for, introspection's included."""
    found = dict(parent.fields)
    metas = ("__schema", "__type", "__typename") if parent is GRAPH.query_type else ("__typename",)
    for name in metas:
        meta = field_of(parent, name, priced_nothing())
        assert meta is not None
        found[name] = meta
    return found


def priced_nothing() -> Any:
    """A document for looking up fields only."""
    found = priced(GRAPH, parse("{ __typename }"), None, {})
    assert found is not None
    return found.document


@st.composite
def selection(draw: st.DrawFn, query: Query, parent: Parent, depth: int) -> str:
    """A selection of one to three fields of `parent`, sometimes aliased, with an inline
    fragment on one of an interface's types."""
    fields = fields_of(parent)
    if depth >= MAX_DEPTH:
        leaves = [n for n, f in fields.items() if is_leaf_type(get_named_type(f.type))]
        fields = {name: fields[name] for name in leaves}
    names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    parts = []
    for name in names:
        field = fields[name]
        alias = f"{query.alias()}: " if draw(st.booleans()) else ""
        named = get_named_type(field.type)
        inner = ""
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            inner = " { " + draw(selection(query, named, depth + 1)) + " }"
        parts.append(f"{alias}{name}{draw(arguments(query, field))}{inner}")
    if isinstance(parent, GraphQLInterfaceType) and depth < MAX_DEPTH and draw(st.booleans()):
        kind = draw(st.sampled_from(sorted(t.name for t in GRAPH.get_possible_types(parent))))
        on = GRAPH.get_type(kind)
        assert isinstance(on, GraphQLObjectType)
        parts.append(f"... on {kind} {{ {draw(selection(query, on, depth + 1))} }}")
    return " ".join(parts)


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, Query]:
    query = Query()
    assert GRAPH.query_type is not None
    body = draw(selection(query, GRAPH.query_type, 1))
    head = f"query Q({', '.join(query.definitions)})" if query.definitions else "query Q"
    # Two fields of one name may clash (a fragment's with different arguments): fine for
    # pricing, which needs the document valid only as far as types and arguments go.
    return f"{head} {{ {body} }}", query


def minimum(selection_set: SelectionSetNode, parent: Parent) -> int:
    """What a selection costs at the least: each object field its own price, lists empty,
    introspection's objects possibly null."""
    total = 0
    document = priced_nothing()
    for node in selection_set.selections:
        if isinstance(node, InlineFragmentNode):
            on = GRAPH.get_type(node.type_condition.name.value) if node.type_condition else parent
            assert isinstance(on, GraphQLObjectType | GraphQLInterfaceType)
            total += minimum(node.selection_set, on)
            continue
        assert isinstance(node, FieldNode)
        field = field_of(parent, node.name.value, document)
        assert field is not None
        named = get_named_type(field.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        if named.name in VALUE_TYPES:
            continue
        connection = named.name.endswith("Connection")
        total += OBJECT_COST + (CONNECTION_COST if connection else 0)
        total += SUMMARY_COST if node.name.value == SUMMARY_FIELD else 0
        listed = isinstance(field.type, GraphQLList) or (
            isinstance(field.type, GraphQLNonNull) and isinstance(field.type.of_type, GraphQLList)
        )
        if not (listed or connection or named.name.startswith("__")):
            assert node.selection_set is not None
            total += minimum(node.selection_set, named)
    return total


@st.composite
def answer(draw: st.DrawFn, selection_set: SelectionSetNode, parent: Parent) -> dict[str, Any]:
    """A response the query could get: any object null or not, any list of 0 to 3 items."""
    data: dict[str, Any] = {}
    for node in selection_set.selections:
        if isinstance(node, InlineFragmentNode):
            on = GRAPH.get_type(node.type_condition.name.value) if node.type_condition else parent
            assert isinstance(on, GraphQLObjectType | GraphQLInterfaceType)
            data.update(draw(answer(node.selection_set, on)))
            continue
        assert isinstance(node, FieldNode)
        field = field_of(parent, node.name.value, priced_nothing())
        assert field is not None
        named = get_named_type(field.type)
        key = (node.alias or node.name).value
        if node.selection_set is None or not isinstance(
            named, GraphQLObjectType | GraphQLInterfaceType
        ):
            data[key] = "x"
            continue
        item = answer(node.selection_set, named)
        kind = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if isinstance(kind, GraphQLList):
            data[key] = draw(st.lists(item, max_size=3))
        else:
            data[key] = draw(st.none() | item)
    return data


def priced_query(text: str, query: Query) -> Priced:
    found = priced(GRAPH, parse(text), "Q", query.variables)
    assert found is not None
    return found


FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@FAST
@given(queries())
def test_no_query_is_priced_below_its_fields_least_costs(written: tuple[str, Query]) -> None:
    text, query = written
    found = priced_query(text, query)
    wrong = check_pages(found.operation, found.root, found.document)
    if query.wrong_first:
        assert wrong is not None
        refusal, path = wrong
        assert (refusal.code, refusal.message) == (
            "BAD_REQUEST",
            messages.PAGE_SIZE_RANGE.format(maximum=100),
        )
        assert path
        return
    assert wrong is None
    cost = price(found.operation, found.root, found.document)
    assert cost >= minimum(found.operation, found.root) >= 0


@FAST
@given(st.data())
def test_no_query_adds_to_its_callers_bucket(data: st.DataObject) -> None:
    text, query = data.draw(queries())
    found = priced_query(text, query)
    if check_pages(found.operation, found.root, found.document) is not None:
        return  # refused before pricing: the bucket is not touched
    buckets = CostBuckets(capacity=10**12, restore_rate=1, clock=lambda: 0.0)
    buckets.spend("caller", data.draw(st.integers(0, 10**12)))
    before = buckets.available("caller")
    requested = max(0, price(found.operation, found.root, found.document))
    if buckets.take("caller", requested) is None:
        assert buckets.available("caller") == before
        return
    returned = data.draw(answer(found.operation, found.root))
    actual = settle(buckets, "caller", found, requested, returned)
    assert 0 <= actual <= requested
    assert buckets.available("caller") <= before
