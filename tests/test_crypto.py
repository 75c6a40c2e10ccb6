import pytest

from shanzhi.core import crypto


def test_round_trip_and_random_nonce(settings):
    first = crypto.encrypt("230381194603121114")
    second = crypto.encrypt("230381194603121114")
    assert first != second  # a fresh nonce each time
    assert first.startswith("sm4gcm:")
    assert "230381194603121114" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "230381194603121114"


def test_tampering_is_detected():
    sealed = crypto.encrypt("230381194603121114")
    prefix, key_id, body = sealed.split(":")
    flipped = body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{prefix}:{key_id}:{flipped}")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("plaintext")


def test_lookup_hash_is_keyed(settings):
    plain = crypto.lookup_hash("230381194603121114")
    assert plain == crypto.lookup_hash("230381194603121114")
    other = "ab" * 32
    assert crypto.lookup_hash("230381194603121114", material=other) != plain
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(crypto.encrypt("x"), material=other)  # sealed with another key
