"""Key creation rules: permissions, store ids of the tenant, expiry; the plaintext is not stored."""

from datetime import timedelta

import pytest

from contract.credentials import actor_for_user
from contract.errors import BadRequest
from contract.permissions import ALL_PERMISSIONS
from contract.validation import parse
from infra.api_key_format import hash_key
from infra.key_directory import KeyDirectory
from models import ApiKey, User
from models.clock import utcnow
from resolvers.api_keys import ApiKeyCreate, CreatedApiKey, create_api_key, rotate_api_key
from tests.support.factories import make_gerant, make_store

pytestmark = pytest.mark.usefixtures("mock_db")


async def create(gerant: User, data: dict[str, object]) -> CreatedApiKey:
    """Create a key from raw input, validated as the transports do."""
    return await create_api_key(gerant=gerant, spec=parse(ApiKeyCreate, data))


async def test_key_is_stored_hashed_with_a_display_prefix() -> None:
    gerant = await make_gerant()
    created = await create(gerant, {"name": "ERP", "permissions": ["kpi:write", "stores:read"]})
    stored = await ApiKey.get(created.api_key.id)
    assert stored is not None
    assert stored.key_hash == hash_key(created.key)
    assert stored.prefix == created.key[:14]
    assert stored.permissions == ["stores:read", "kpi:write"]
    assert stored.store_ids is None
    assert stored.active is True
    assert stored.gerant_id == gerant.id
    assert created.key not in stored.model_dump_json()


async def test_unknown_permission_is_refused() -> None:
    with pytest.raises(BadRequest) as raised:
        await create(await make_gerant(), {"name": "x", "permissions": ["stores:read", "admin"]})
    assert raised.value.message == "permissions: Unknown permissions: admin"
    assert await ApiKey.count() == 0


async def test_wildcard_store_ids_mean_all_stores() -> None:
    created = await create(
        await make_gerant(),
        {"name": "x", "permissions": ["stores:read"], "store_ids": ["*"]},
    )
    assert created.api_key.store_ids is None


async def test_store_ids_must_belong_to_the_tenant() -> None:
    gerant, other = await make_gerant(), await make_gerant()
    mine, theirs = await make_store(gerant), await make_store(other)
    created = await create(
        gerant, {"name": "x", "permissions": ["kpi:write"], "store_ids": [mine.id]}
    )
    assert created.api_key.store_ids == [mine.id]
    with pytest.raises(BadRequest) as raised:
        await create(
            gerant,
            {"name": "x", "permissions": ["kpi:write"], "store_ids": [mine.id, theirs.id]},
        )
    assert raised.value.message == f"store_ids not found in this tenant: {theirs.id}"


async def test_expiry_in_days() -> None:
    created = await create(
        await make_gerant(),
        {"name": "x", "permissions": ["kpi:write"], "expires_in_days": 30},
    )
    assert created.api_key.expires_at is not None
    remaining = created.api_key.expires_at - utcnow()
    assert 29.99 < remaining.total_seconds() / 86400 <= 30
    with pytest.raises(BadRequest):
        await create(
            await make_gerant(),
            {"name": "x", "permissions": ["kpi:write"], "expires_in_days": 0},
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "x", "permissions": ["kpi:write"] * (len(ALL_PERMISSIONS) + 1)},
            f"permissions: List should have at most {len(ALL_PERMISSIONS)} items after "
            f"validation, not {len(ALL_PERMISSIONS) + 1}",
        ),
        (
            {"name": "x", "permissions": ["p" * 51]},
            "permissions[0]: String should have at most 50 characters",
        ),
        (
            {"name": "x", "permissions": ["kpi:write"], "store_ids": ["s"] * 1001},
            "store_ids: List should have at most 1000 items after validation, not 1001",
        ),
        (
            {"name": " ", "permissions": ["kpi:write"]},
            "name: String should have at least 1 character",
        ),
    ],
)
async def test_inputs_are_bounded(data: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        await create(await make_gerant(), data)
    assert raised.value.message == message


async def test_rotation_gives_the_new_key_a_full_lifetime_from_now() -> None:
    gerant = await make_gerant()
    gerant_actor = actor_for_user(gerant)
    created = await create(
        gerant, {"name": "x", "permissions": ["kpi:write"], "expires_in_days": 30}
    )
    soon = utcnow() + timedelta(days=2)  # expiring: the warning advises to rotate now
    await ApiKey.find_one({"_id": created.api_key.id}).update({"$set": {"expires_at": soon}})
    rotated = await rotate_api_key(
        actor=gerant_actor, key_id=created.api_key.id, grace_days=7, keys=KeyDirectory()
    )
    assert rotated.api_key.expires_at is not None
    lifetime = rotated.api_key.expires_at - utcnow()
    assert timedelta(days=29.99) < lifetime <= timedelta(days=30)
    again = await rotate_api_key(
        actor=gerant_actor, key_id=rotated.api_key.id, grace_days=7, keys=KeyDirectory()
    )
    assert again.api_key.expires_at is not None
    assert timedelta(days=29.99) < again.api_key.expires_at - utcnow() <= timedelta(days=30)


async def test_keys_without_expiry_stay_without_after_rotation() -> None:
    gerant = await make_gerant()
    created = await create(gerant, {"name": "x", "permissions": ["kpi:write"]})
    rotated = await rotate_api_key(
        actor=actor_for_user(gerant), key_id=created.api_key.id, grace_days=0, keys=KeyDirectory()
    )
    assert rotated.api_key.expires_at is None
