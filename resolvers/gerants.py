"""Tenants: a gérant owns stores, staff, KPIs and API keys."""

from pydantic import EmailStr
from pymongo.errors import DuplicateKeyError

from contract import messages
from contract.errors import BadRequest, NotFound
from contract.inputs import Input, Name, Password
from infra.passwords import new_password
from models import Role, User
from models.user import email_key


class GerantCreate(Input):
    name: Name
    email: EmailStr
    password: Password | None = None


async def create_gerant(*, data: GerantCreate) -> User:
    """Create a tenant owner, with a password to log in if given; he is his own tenant."""
    stored = await new_password(data.password) if data.password else None
    gerant = User(
        gerant_id="",
        role=Role.GERANT,
        name=data.name,
        email=data.email,
        email_key=email_key(data.email),
        password_hash=stored.password_hash if stored else None,
        password_stamp=stored.password_stamp if stored else None,
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
