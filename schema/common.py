"""GraphQL types shared by several domains: deletion results and the one connection type."""

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from resolvers.pagination import Page

ItemT = TypeVar("ItemT")
NodeT = TypeVar("NodeT")


@strawberry.type
class DeleteResult:
    success: bool
    message: str


@strawberry.type(description="Relay's page info; pages are read forward only, with first/after.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="Always false: pages are read forward (first/after)."
    )
    start_cursor: str | None
    end_cursor: str | None = strawberry.field(description="Pass it as `after` for the next page.")


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A Relay connection: one page of a list, with its cursors.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo


def connection(page: Page[ItemT], node: Callable[[ItemT], NodeT]) -> Connection[NodeT]:
    """A rules' page as a connection, each item converted by `node`."""
    return Connection(
        edges=[
            Edge(cursor=cursor, node=node(item))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=False,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.end_cursor,
        ),
    )
