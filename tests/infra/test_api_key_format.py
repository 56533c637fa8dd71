"""The key format: checksum, alphabet, length, hashing."""

import re
import zlib

from infra.api_key_format import (
    KEY_LENGTH,
    checksum,
    display_prefix,
    generate_key,
    hash_key,
    is_well_formed,
)


def test_generated_keys_have_the_documented_shape() -> None:
    key = generate_key()
    assert re.fullmatch(r"sk_live_[0-9A-Za-z]{38}", key)
    assert len(key) == KEY_LENGTH
    assert key[-6:] == checksum(key[8:40])
    assert is_well_formed(key)


def test_keys_are_random() -> None:
    assert len({generate_key() for _ in range(100)}) == 100


def test_any_single_character_change_is_detected() -> None:
    key = generate_key()
    for position in range(8, KEY_LENGTH):
        replacement = "0" if key[position] != "0" else "1"
        assert not is_well_formed(key[:position] + replacement + key[position + 1 :])


def test_wrong_prefix_length_or_alphabet_is_refused() -> None:
    key = generate_key()
    assert not is_well_formed("sk_test_" + key[8:])
    assert not is_well_formed(key + "0")
    assert not is_well_formed(key[:-1])
    assert not is_well_formed(key[:20] + "-" + key[21:])
    assert not is_well_formed("")


def test_hash_and_prefix() -> None:
    key = generate_key()
    assert re.fullmatch(r"[0-9a-f]{64}", hash_key(key))
    assert hash_key(key) == hash_key(key)
    assert display_prefix(key) == key[:14]


def test_the_checksum_is_crc32_in_base62_padded_with_zeros() -> None:
    random_part = "B" * 31 + "7"
    # 1225742 = 5·62³ + 8·62² + 54·62 + 2: "58s2", four digits of the six.
    assert zlib.crc32(random_part.encode()) == 1225742
    assert checksum(random_part) == "0058s2"
    assert is_well_formed(f"sk_live_{random_part}0058s2")
