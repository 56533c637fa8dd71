"""GraphQL types shared by several domains."""

import strawberry


@strawberry.type
class DeleteResult:
    success: bool
    message: str


@strawberry.type
class PageInfo:
    """Cursor pagination: whether another page follows, and the cursor to ask for it."""

    has_next_page: bool
    end_cursor: str | None
