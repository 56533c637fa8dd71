"""Tenants: a gérant owns stores, staff, KPIs and API keys."""

from pydantic import BaseModel, EmailStr, Field
from pymongo.errors import DuplicateKeyError

from models import Role, User
from models.user import email_key
from resolvers import messages
from resolvers.errors import BadRequest, NotFound
from resolvers.passwords import NewPassword, hash_password
from resolvers.validation import parse


class GerantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


async def create_gerant(*, name: str, email: str, password: str | None = None) -> User:
    """Create a tenant owner, with a password to log in if given; he is his own tenant."""
    data = parse(GerantCreate, {"name": name.strip(), "email": email.strip()})
    checked = parse(NewPassword, {"password": password}) if password is not None else None
    gerant = User(
        gerant_id="",
        role=Role.GERANT,
        name=data.name,
        email=data.email,
        email_key=email_key(data.email),
        password_hash=await hash_password(checked.password) if checked else None,
    )
    gerant.gerant_id = gerant.id
    try:
        await gerant.insert()
    except DuplicateKeyError:
        raise BadRequest(messages.EMAIL_TAKEN) from None
    return gerant


async def get_gerant_by_email(*, email: str) -> User:
    """The gérant with this email (any case), or 404."""
    gerant = await User.find_one({"email_key": email_key(email), "role": Role.GERANT.value})
    if gerant is None:
        raise NotFound(messages.GERANT_NOT_FOUND)
    return gerant
