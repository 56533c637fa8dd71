"""GraphQL query costs, priced before a query runs, Shopify-style.

A scalar costs 0, an object 1, a mutation 10; a list multiplies what one item costs by its
size: a connection by `first`, a summary by the rows its period and grouping make, any other
list by a standard size. Each caller (API key, user, or address when anonymous) draws from a
leaky bucket of RPAI_GRAPHQL_MAX_COST points that fills at RPAI_GRAPHQL_COST_RESTORE_RATE a
second: a query over the maximum, or over what is left, answers THROTTLED (429) before it
runs. Once it has run, what its lists actually held is given back, and every response says
in `extensions.cost` what was asked, spent and left. A caller's queries that read KPI
summaries run one at a time in a process, within a share of its time: the next ones wait
their turn, a few at most and not too long (else THROTTLED too).

Introspection (`__schema`, `__type`) is priced by the same rules, exactly: the schema is in
memory, so its lists are counted from it, item by item, until the price passes the caller's
maximum (its nesting escapes the depth limit: a cyclic query must stop being counted too). A
connection's `first` is checked (1-100) before any pricing, and no field costs less than 0.
"""

import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    NamedTypeNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from strawberry.extensions import SchemaExtension

from contract import messages
from contract.errors import AppError, BadRequest, Throttled
from infra.cost_buckets import CostBuckets
from infra.introspection_prices import Counted, IntrospectionPrices
from resolvers.pagination import check_page_size
from schema.context import Context

OBJECT_COST = 1
MUTATION_COST = 10
CONNECTION_COST = 2
SUMMARY_COST = 5  # reading rollups, on top of its rows
LIST_SIZE = 50  # a list without a size of its own: stores, sellers, keys, ...
PAGE_SIZE = 50  # a connection asked without `first`
SUMMARY_FIELD = "kpiSummary"
EXPORT_FIELD = "kpiExport"  # a summary's rows written into a file: priced as the summary
# Parts of an object computed with it, no read of their own: they cost nothing more.
VALUE_TYPES = frozenset({"KpiMetrics", "KpiChange", "PageInfo"})
# What a selection is made on: an object, or an interface (its fragments name the objects).
Parent = GraphQLObjectType | GraphQLInterfaceType
ROWS_BY_GROUPING = {"TOTAL": 1, "STORE": LIST_SIZE, "SELLER": LIST_SIZE}


# The introspection fields a query root has, beside its own.
ROOT_META_FIELDS: dict[str, GraphQLField] = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
}


class TooCostly(Exception):
    """Counting an introspection answer passed `limit`: the query is over it, stop counting."""

    def __init__(self, counted: int) -> None:
        super().__init__(counted)
        self.counted = counted


@dataclass
class Budget:
    """How far introspection is counted: past `limit` the query is refused anyway."""

    limit: float
    counted: int = 0

    def charge(self, points: int) -> None:
        self.counted += points
        if self.counted > self.limit:
            raise TooCostly(self.counted)


@dataclass(frozen=True)
class ParsedOperation:
    """What prices a query: the schema, the operation's fragments and its variables."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    budget: Budget = field(default_factory=lambda: Budget(math.inf))
    # Introspection counted before, by its text: aliases of one, and the same selection in
    # later queries, are not counted again (each is still charged).
    prices: IntrospectionPrices = field(default_factory=IntrospectionPrices)
    # What a selection's text does not say: the fragments it may spread, the variables.
    surroundings: str = ""


def _value(holder: Any, *names: str) -> Any:
    """An argument's value, from a plain mapping or an input object alike."""
    for name in names:
        value = holder.get(name) if isinstance(holder, dict) else getattr(holder, name, None)
        if value is not None:
            return value
    return None


def summary_rows(arguments: dict[str, Any]) -> int:
    """The rows a summary returns at most: one a day, week or month of its period (the
    previous period's fall into the same rows), one a store or seller, or one."""
    grouping = _value(arguments, "groupBy", "group_by")
    grouping = str(getattr(grouping, "name", grouping) or "TOTAL").upper()
    if grouping in ROWS_BY_GROUPING:
        return ROWS_BY_GROUPING[grouping]
    period = _value(arguments, "filter") or arguments
    try:
        start = date.fromisoformat(str(_value(period, "from_", "from")))
        end = date.fromisoformat(str(_value(period, "to")))
    except ValueError:
        return 1  # refused by the field's own validation, before any read
    days = max(1, (end - start).days + 1)
    if grouping == "DAY":
        return days
    if grouping == "WEEK":
        return days // 7 + 2
    return days // 28 + 2


def _asked(
    node: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: VariableValues
) -> bool:
    """False for a selection its @skip or @include leaves out."""
    if not node.directives:
        return True
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip and skip.get("if"):
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include and not include.get("if"))


def _fields(
    selection_set: SelectionSetNode, parent: Parent, document: ParsedOperation
) -> Iterator[tuple[FieldNode, Parent]]:
    """The fields of a selection, fragments spread, each with the type it is selected on."""
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode | FragmentSpreadNode | InlineFragmentNode):
            continue
        if not _asked(selection, document.variables):
            continue  # @skip or @include: not asked, not charged
        if isinstance(selection, FieldNode):
            yield selection, parent
            continue
        condition: NamedTypeNode | None = None
        if isinstance(selection, FragmentSpreadNode):
            fragment = document.fragments.get(selection.name.value)
            if fragment is None:
                continue
            condition, inner = fragment.type_condition, fragment.selection_set
        elif isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        else:
            continue
        typed = document.schema.get_type(condition.name.value) if condition is not None else parent
        if isinstance(typed, Parent):
            yield from _fields(inner, typed, document)


def field_of(on: Parent, name: str, document: ParsedOperation) -> GraphQLField | None:
    """The field `name` selected on `on`, introspection's own fields included."""
    meta: GraphQLField | None = TypeNameMetaFieldDef if name == "__typename" else None
    if name in ROOT_META_FIELDS and on is document.schema.query_type:
        meta = ROOT_META_FIELDS[name]
    return meta or on.fields.get(name)


def _is_list(field_type: GraphQLOutputType) -> bool:
    unwrapped = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    return isinstance(unwrapped, GraphQLList)


def _size(parent: Parent, node: FieldNode, field: GraphQLField, document: ParsedOperation) -> int:
    """The items a list field is expected to hold, from its arguments."""
    arguments = get_argument_values(field, node, document.variables)
    if node.name.value == SUMMARY_FIELD:
        return summary_rows(arguments)
    if get_named_type(field.type).name.endswith("Connection"):
        return max(0, int(arguments.get("first") or PAGE_SIZE))
    if parent.name.endswith("Connection"):
        return 1  # its edges: the connection already counted them
    return LIST_SIZE


def price(
    selection_set: SelectionSetNode,
    parent: Parent,
    document: ParsedOperation,
    data: Any = None,
    mutation: bool = False,
) -> int:
    """The cost of a selection: from its arguments, or with `data` from what it returned."""
    total = 0
    for node, on in _fields(selection_set, parent, document):
        name = node.name.value
        field = field_of(on, name, document)
        if field is None:
            continue
        if name in ROOT_META_FIELDS:
            total += _introspection(node, field, document)
            continue
        value = data.get((node.alias or node.name).value) if isinstance(data, dict) else None
        named = get_named_type(field.type)
        if is_leaf_type(named) or not isinstance(named, Parent):
            continue
        if named.name in VALUE_TYPES:
            continue
        base = MUTATION_COST if mutation else OBJECT_COST
        if name == SUMMARY_FIELD:
            base += SUMMARY_COST
        elif name == EXPORT_FIELD:
            arguments = get_argument_values(field, node, document.variables)
            base += SUMMARY_COST + summary_rows(arguments)
        inner = node.selection_set
        if named.name.endswith("Connection") and inner is not None:
            items = len(value.get("edges") or []) if isinstance(value, dict) else 0
            size = items if data is not None else _size(on, node, field, document)
            total += base + CONNECTION_COST + max(0, size * price(inner, named, document, value))
            continue
        if _is_list(field.type) and inner is not None:
            each = price(inner, named, document)  # an item's price before any is read
            if data is not None:
                # What an item holds changes its price only through the lists inside it,
                # which an item priced 0 has none of.
                listed = value or []
                count = len(listed)
                items_cost = (
                    sum(price(inner, named, document, item) for item in listed) if each else 0
                )
            else:
                count = _size(on, node, field, document)
                items_cost = count * each
            total += base + max(0, count * OBJECT_COST + items_cost)
            continue
        total += base + (price(inner, named, document, value) if inner is not None else 0)
    return total


def _introspection(node: FieldNode, field: GraphQLField, document: ParsedOperation) -> int:
    """The cost of `__schema` or `__type`, counted once for each text of it."""
    if node.loc is None or node.name.loc is None:
        return introspected(node, field, document.schema, document)
    text = node.loc.source.body[node.name.loc.start : node.loc.end]
    key = document.prices.key(f"{text}\n{document.surroundings}")
    known = document.prices.get(key)
    budget = document.budget
    if known is not None and (known.exact or budget.counted + known.points > budget.limit):
        budget.charge(known.points)
        return known.points
    before = budget.counted
    try:
        points = introspected(node, field, document.schema, document)
    except TooCostly:
        document.prices.put(key, Counted(budget.counted - before, exact=False))
        raise
    document.prices.put(key, Counted(points, exact=True))
    return points


def introspected(
    node: FieldNode, field: GraphQLField, source: Any, document: ParsedOperation
) -> int:
    """The cost of an introspection field by the rules of every field, counted on the schema
    itself: an object 1, a list 1 and 1 an item, each item what its selection costs."""
    named = get_named_type(field.type)
    inner = node.selection_set
    if inner is None or not isinstance(named, GraphQLObjectType) or field.resolve is None:
        return 0
    info: Any = _SchemaInfo(document.schema)
    arguments = get_argument_values(field, node, document.variables)
    value = field.resolve(source, info, **arguments)
    items = list(value or []) if _is_list(field.type) else [value] if value is not None else []
    cost = OBJECT_COST + (len(items) * OBJECT_COST if _is_list(field.type) else 0)
    document.budget.charge(cost)
    for item in items:
        for child, on in _fields(inner, named, document):
            child_field = field_of(on, child.name.value, document)
            if child_field is not None:
                cost += introspected(child, child_field, item, document)
    return cost


@dataclass(frozen=True)
class _SchemaInfo:
    """What introspection's resolvers read of their `info`: the schema."""

    schema: GraphQLSchema


def check_pages(
    selection_set: SelectionSetNode,
    parent: Parent,
    document: ParsedOperation,
    path: tuple[str, ...] = (),
) -> tuple[BadRequest, list[str]] | None:
    """The first connection asked with a `first` out of 1-100, with its path, before any
    pricing: a size out of range would price the query wrongly (negative, or zero)."""
    for node, on in _fields(selection_set, parent, document):
        field = field_of(on, node.name.value, document)
        if field is None:
            continue
        here = (*path, (node.alias or node.name).value)
        named = get_named_type(field.type)
        if named.name.endswith("Connection") and "first" in field.args:
            first = get_argument_values(field, node, document.variables).get("first")
            try:
                check_page_size(PAGE_SIZE if first is None else int(first))
            except BadRequest as refused:
                return refused, list(here)
        if node.selection_set is not None and isinstance(named, Parent):
            found = check_pages(node.selection_set, named, document, here)
            if found is not None:
                return found
    return None


def reads_summary(
    selection_set: SelectionSetNode, parent: Parent, document: ParsedOperation
) -> bool:
    """Whether a selection asks for a KPI summary anywhere: its caller's costly reads."""
    for node, on in _fields(selection_set, parent, document):
        if node.name.value in (SUMMARY_FIELD, EXPORT_FIELD):
            return True
        field = on.fields.get(node.name.value)
        named = get_named_type(field.type) if field is not None else None
        inner = node.selection_set
        if inner is None or not isinstance(named, Parent):
            continue
        if reads_summary(inner, named, document):
            return True
    return False


def _text(node: FragmentDefinitionNode) -> str:
    return node.loc.source.body[node.loc.start : node.loc.end] if node.loc else repr(node)


@dataclass(frozen=True)
class Priced:
    operation: SelectionSetNode
    root: GraphQLObjectType
    document: ParsedOperation
    mutation: bool


def priced(
    schema: GraphQLSchema,
    parsed: DocumentNode,
    name: str | None,
    variables: Any,
    limit: float = math.inf,
    prices: IntrospectionPrices | None = None,
) -> Priced | None:
    """What prices the operation `name` of `parsed`; introspection is counted up to `limit`,
    and looked up first in `prices`."""
    operation = get_operation_ast(parsed, name)
    if operation is None or operation.operation is OperationType.SUBSCRIPTION:
        return None  # a subscription is bounded by its connection's limits, not priced
    mutation = operation.operation is OperationType.MUTATION
    root = schema.mutation_type if mutation else schema.query_type
    if root is None:
        return None
    fragments = {
        definition.name.value: definition
        for definition in parsed.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    definitions = operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, dict(variables or {}))
    if not isinstance(coerced, VariableValues):
        return None  # wrong variables: execution refuses them (400) before any read
    surroundings = "\n".join(
        [*(_text(fragment) for fragment in fragments.values()), repr(coerced.coerced)]
    )
    document = ParsedOperation(
        schema, fragments, coerced, Budget(limit), prices or IntrospectionPrices(), surroundings
    )
    return Priced(operation.selection_set, root, document, mutation)


def settle(
    buckets: CostBuckets, caller: str, found: Priced, requested: int, data: dict[str, Any]
) -> int:
    """Give the caller back what his query took and did not use; its actual cost, from what
    it returned: never over what it took, never below 0 (so no query adds to a bucket)."""
    document = replace(found.document, budget=Budget(math.inf))  # counted in full this time
    actual = price(found.operation, found.root, document, data, found.mutation)
    actual = min(requested, max(0, actual))
    buckets.give_back(caller, requested - actual)
    return actual


class QueryCost(SchemaExtension):
    """Prices each query before it runs, draws it from its caller's bucket, reports the cost."""

    requested = 0
    actual = 0
    caller = ""
    buckets: CostBuckets | None = None
    refused_at: list[str] | None = None  # the field a refusal is about, if one

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is None or not isinstance(context.context, Context):
            yield
            return
        services = context.context.services
        request = context.context.request_context
        # A caller without credentials draws from his address's bucket, a smaller one.
        principal = request.principal_id
        self.buckets = services.query_costs if principal else services.anonymous_query_costs
        self.caller = principal or f"ip:{request.client_ip}"
        found = priced(
            context.schema._schema,
            context.graphql_document,
            context.operation_name,
            context.variables,
            limit=self.buckets.capacity,
            prices=services.introspection_prices,
        )
        if found is None:
            self.buckets = None  # not priced (a subscription, wrong variables): no report
            yield
            return
        refusal = self._price(found)
        costly = refusal is None and reads_summary(found.operation, found.root, found.document)
        refusal = refusal or self._draw(self.buckets)
        wait = services.read_slots.refusal(self.caller) if refusal is None and costly else None
        if wait is not None:
            refusal = self._summaries_busy(wait)
        if refusal is not None:
            self._refuse(refusal)
            yield
            return
        if costly:
            async with services.read_slots.slot(self.caller) as late:
                if late is not None:  # the caller's reads queued before took his time
                    self._refuse(self._summaries_busy(late))
                    yield
                    return
                yield
        else:
            yield
        result = context.result
        if result is not None and result.data is not None:
            self.actual = settle(self.buckets, self.caller, found, self.requested, result.data)

    def _price(self, found: Priced) -> AppError | None:
        """Set the query's price, or say why it cannot be priced (nor run)."""
        wrong_page = check_pages(found.operation, found.root, found.document)
        if wrong_page is not None:
            refusal, self.refused_at = wrong_page
            return refusal
        try:
            cost = price(found.operation, found.root, found.document, mutation=found.mutation)
        except TooCostly as stopped:
            assert self.buckets is not None
            self.requested = stopped.counted
            message = messages.QUERY_TOO_COSTLY_COUNTED.format(
                cost=stopped.counted, maximum=int(self.buckets.capacity)
            )
            return Throttled(message, retry_after=1)
        self.requested = max(0, cost)
        return None

    def _refuse(self, refusal: AppError) -> None:
        """Answer `refusal`: a result set before execution is the answer, the query not run."""
        error = GraphQLError(refusal.message, path=self.refused_at, original_error=refusal)
        self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])

    def _summaries_busy(self, wait: float) -> Throttled:
        """The caller's summaries have taken their share: his points back, retry in `wait`."""
        assert self.buckets is not None
        self.buckets.give_back(self.caller, self.requested)
        seconds = math.ceil(wait)
        return Throttled(messages.SUMMARIES_BUSY.format(seconds=seconds), retry_after=seconds)

    def _draw(self, buckets: CostBuckets) -> AppError | None:
        """Take the query's price from its caller's bucket, or say why it cannot run."""
        if self.requested > buckets.capacity:
            message = messages.QUERY_TOO_COSTLY.format(
                cost=self.requested, maximum=int(buckets.capacity)
            )
            return Throttled(message, retry_after=1)
        if buckets.take(self.caller, self.requested) is None:
            wait = math.ceil(buckets.seconds_until(self.caller, self.requested))
            message = messages.QUERY_THROTTLED.format(cost=self.requested, seconds=wait)
            return Throttled(message, retry_after=wait)
        return None

    def get_results(self) -> dict[str, Any]:
        if self.buckets is None:
            return {}
        return {
            "cost": {
                "requestedQueryCost": self.requested,
                "actualQueryCost": self.actual,
                "throttleStatus": {
                    "maximumAvailable": self.buckets.capacity,
                    "currentlyAvailable": math.floor(self.buckets.available(self.caller)),
                    "restoreRate": self.buckets.restore_rate,
                },
            }
        }
