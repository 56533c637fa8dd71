"""Passwords are hashed with OWASP's Argon2id profile; hashes of another profile still verify
and are told apart for a rehash; each new password gets a stamp of its own."""

from argon2 import PasswordHasher, extract_parameters

from infra import passwords

PASSWORD = "correct horse battery"
OWASP = "$argon2id$v=19$m=19456,t=2,p=1$"


async def test_new_hashes_use_owasps_profile() -> None:
    stored = await passwords.new_password(PASSWORD)
    assert stored.password_hash.startswith(OWASP)
    assert not passwords.needs_rehash(stored.password_hash)
    assert await passwords.verify_password(stored.password_hash, PASSWORD)
    assert not await passwords.verify_password(stored.password_hash, "wrong password")


async def test_the_stand_in_hash_has_the_profile_of_every_hash() -> None:
    """The stand-in checked for unknown emails costs what a known email's check costs."""
    assert passwords._DUMMY_HASH.startswith(OWASP)
    hashed = await passwords.hash_password(PASSWORD)
    assert extract_parameters(passwords._DUMMY_HASH) == extract_parameters(hashed)


async def test_a_hash_of_the_former_default_profile_verifies_and_needs_a_rehash() -> None:
    former = PasswordHasher().hash(PASSWORD)  # argon2-cffi's default: m=65536,t=3,p=4
    assert former.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert await passwords.verify_password(former, PASSWORD)
    assert passwords.needs_rehash(former)


async def test_each_new_password_gets_a_stamp_of_its_own() -> None:
    stamps = {(await passwords.new_password(PASSWORD)).password_stamp for _ in range(2)}
    assert len(stamps) == 2
    assert all(len(stamp) == 16 for stamp in stamps)
