"""GraphQL types shared by several domains."""

import strawberry


@strawberry.type
class DeleteResult:
    success: bool
    message: str
