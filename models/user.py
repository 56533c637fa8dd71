"""Users of a tenant: the gérant himself, store managers and sellers."""

import unicodedata
from enum import StrEnum
from functools import partial

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import OPERATION_INDEX, new_id


class Role(StrEnum):
    GERANT = "gerant"
    MANAGER = "manager"
    SELLER = "seller"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


# "Not deleted", written as an `$in`: SecantusDB's planner falls back to a collection scan when
# a `$ne` sits beside an `$in` on `_id` (MongoDB uses the index either way).
NOT_DELETED = {"$in": [UserStatus.ACTIVE.value, UserStatus.SUSPENDED.value]}

EMAIL_UNIQUE_INDEX = "email_key_unique"
# A tenant's users who are not deleted have distinct external ids: deleting frees the id for a
# newcomer (tills reuse their codes), while the deleted user keeps it for his history.
EXTERNAL_ID_UNIQUE_INDEX = "tenant_external_id_unique"
UPDATED_INDEX = "tenant_updated"


def email_key(email: str) -> str:
    """The form of an email that uniqueness is checked on: Unicode-normalised (NFKC, so a
    fullwidth a is an a) and case-folded."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


class User(Document):
    id: str = Field(default_factory=partial(new_id, "user"))  # type: ignore[assignment]
    gerant_id: str
    role: Role
    status: UserStatus = UserStatus.ACTIVE
    name: str
    email: str
    email_key: str
    phone: str | None = None
    store_id: str | None = None
    # True once the seller has changed stores: his KPI entries may then be in other stores than
    # his own. Absent on users stored before it existed, which KPI writes read as True.
    moved: bool = False
    manager_id: str | None = None
    external_id: str | None = None
    send_invitation: bool = False
    password_hash: str | None = None
    # Random, set with each new password; session tokens carry it (infra/tokens.py). None for
    # passwords set before it was stored.
    password_stamp: str | None = None
    # The last emailed password-reset link's token, hashed, and its end; cleared once used.
    reset_token_hash: str | None = None
    reset_expires_at: UtcDateTime | None = None
    created_at: UtcDateTime = Field(default_factory=utcnow)
    updated_at: UtcDateTime = Field(default_factory=utcnow)
    operation_id: str | None = None  # the operation that created it (models/operations.py)

    class Settings:
        name = "users"
        indexes = [
            OPERATION_INDEX,
            IndexModel([("email_key", ASCENDING)], unique=True, name=EMAIL_UNIQUE_INDEX),
            # A reset link finds its user by its token's hash.
            IndexModel(
                [("reset_token_hash", ASCENDING)],
                name="reset_token",
                partialFilterExpression={"reset_token_hash": {"$type": "string"}},
            ),
            IndexModel(
                [("gerant_id", ASCENDING), ("store_id", ASCENDING), ("role", ASCENDING)],
                name="tenant_store_role",
            ),
            # Incremental reads: `GET /users?updated_since=…`.
            IndexModel([("gerant_id", ASCENDING), ("updated_at", ASCENDING)], name=UPDATED_INDEX),
            IndexModel(
                [("gerant_id", ASCENDING), ("external_id", ASCENDING)],
                unique=True,
                name=EXTERNAL_ID_UNIQUE_INDEX,
                partialFilterExpression={
                    "external_id": {"$type": "string"},
                    "status": {"$in": [UserStatus.ACTIVE.value, UserStatus.SUSPENDED.value]},
                },
            ),
        ]
