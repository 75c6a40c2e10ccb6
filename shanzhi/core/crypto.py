"""Encryption of personal data at rest: SM4-GCM for the value, HMAC-SM3 for lookup.

Ciphertexts are text: ``sm4gcm:<key id>:<base64(nonce | ciphertext | tag)>`` so that a
key rotation can tell which key sealed each value. The lookup hash is keyed, so a
leaked database does not let anyone test guesses of ID numbers.

Keys: ``SHANZHI_FIELD_KEY`` (or the file ``SHANZHI_FIELD_KEY_FILE``) is the current key,
which seals every new value. ``SHANZHI_FIELD_KEY_OLD`` (comma-separated, or the file
``SHANZHI_FIELD_KEY_OLD_FILE``, one key a line) lists retired keys that still open
values sealed before a rotation; ``shanzhi rotate_field_key`` re-seals those values so
the retired keys can then be removed. Without a configured key one is derived from
``SECRET_KEY`` (demo and development only; production refuses to start without one).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

PREFIX = "sm4gcm"
KEY_BYTES = 32


class DecryptionError(ValueError):
    pass


class KeyMaterialError(ValueError):
    pass


def parse_key_material(text: str, *, source: str = "key") -> str:
    """64 hexadecimal characters (32 bytes), surrounding white space ignored."""
    material = text.strip().lower()
    try:
        raw = bytes.fromhex(material)
    except ValueError:
        raise KeyMaterialError(f"{source} is not hexadecimal") from None
    if len(raw) != KEY_BYTES:
        raise KeyMaterialError(f"{source} must be {KEY_BYTES * 2} hexadecimal characters, not {len(material)}")
    return material


def read_key_file(path: str | Path) -> str:
    try:
        text = Path(path).read_text(encoding="ascii")
    except OSError as exc:
        raise KeyMaterialError(f"cannot read key file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KeyMaterialError(f"key file {path} is not hexadecimal text") from None
    return parse_key_material(text, source=f"key file {path}")


def read_key_list_file(path: str | Path) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyMaterialError(f"cannot read key file {path}: {exc}") from None
    return [
        parse_key_material(line, source=f"{path} line {number}")
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.strip().startswith("#")
    ]


def new_key_material() -> str:
    return os.urandom(KEY_BYTES).hex()


@functools.cache
def _keys(material: str) -> tuple[str, bytes, bytes]:
    if material:
        raw = bytes.fromhex(material)
    else:
        digest = hashes.Hash(hashes.SM3())
        digest.update(b"shanzhi-field-key:" + settings.SECRET_KEY.encode())
        raw = digest.finalize()
    key_id = hashlib.blake2s(raw, digest_size=4).hexdigest()
    return key_id, raw[:16], raw[16:]


def current_keys() -> tuple[str, bytes, bytes]:
    return _keys(settings.SHANZHI_FIELD_KEY)


def current_key_id() -> str:
    return current_keys()[0]


def key_id_for(material: str) -> str:
    return _keys(material)[0]


def retired_materials() -> list[str]:
    """Retired keys, then the SECRET_KEY-derived key (which opens values sealed before a key was set)."""
    materials = [m for m in getattr(settings, "SHANZHI_FIELD_KEY_OLD", []) if m != settings.SHANZHI_FIELD_KEY]
    if settings.SHANZHI_FIELD_KEY:
        materials.append("")
    return materials


def keyring(*extra: str) -> dict[str, tuple[bytes, bytes]]:
    """Every key that may open a stored value, by key id: current, ``extra``, retired."""
    ring: dict[str, tuple[bytes, bytes]] = {}
    for material in (settings.SHANZHI_FIELD_KEY, *extra, *retired_materials()):
        key_id, enc_key, mac_key = _keys(material)
        ring.setdefault(key_id, (enc_key, mac_key))
    return ring


def key_id_of(token: str) -> str:
    try:
        prefix, key_id, _sealed = token.split(":", 2)
    except (ValueError, AttributeError):
        raise DecryptionError("not a Shanzhi ciphertext") from None
    if prefix != PREFIX:
        raise DecryptionError("not a Shanzhi ciphertext")
    return key_id


def encrypt(plaintext: str, *, material: str | None = None) -> str:
    key_id, enc_key, _ = _keys(settings.SHANZHI_FIELD_KEY if material is None else material)
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(enc_key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    sealed = base64.b64encode(nonce + body + encryptor.tag).decode()
    return f"{PREFIX}:{key_id}:{sealed}"


def decrypt(token: str, *, material: str | None = None) -> str:
    """Open a value with the key that sealed it (current or retired), or only with ``material``."""
    key_id = key_id_of(token)
    try:
        raw = base64.b64decode(token.split(":", 2)[2], validate=True)
    except ValueError:
        raise DecryptionError("not a Shanzhi ciphertext") from None
    if material is not None:
        wanted_id, enc_key, _ = _keys(material)
        if key_id != wanted_id:
            raise DecryptionError(f"sealed with key {key_id}, not with key {wanted_id}")
    else:
        ring = keyring()
        if key_id not in ring:
            raise DecryptionError(f"sealed with key {key_id}, which is neither the current nor a retired key")
        enc_key = ring[key_id][0]
    if len(raw) < 12 + 16:
        raise DecryptionError("ciphertext is too short")
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    decryptor = Cipher(algorithms.SM4(enc_key), modes.GCM(nonce, tag)).decryptor()
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except Exception as exc:  # InvalidTag: the value was altered or the key is wrong
        raise DecryptionError("ciphertext failed authentication") from exc


def lookup_hash(value: str, *, material: str | None = None) -> str:
    _, _, mac_key = _keys(settings.SHANZHI_FIELD_KEY if material is None else material)
    mac = hmac.HMAC(mac_key, hashes.SM3())
    mac.update(value.encode())
    return mac.finalize().hex()


def lookup_hashes(value: str) -> list[str]:
    """The value's lookup hash under the current key and every retired one.

    While ``rotate_field_key`` runs, some rows still carry the old key's hash: a
    lookup or duplicate check that must find every row filters ``hash__in`` these.
    """
    seen: list[str] = []
    for material in (settings.SHANZHI_FIELD_KEY, *retired_materials()):
        digest = lookup_hash(value, material=material)
        if digest not in seen:
            seen.append(digest)
    return seen


def retired_hash_aliases(values) -> dict[str, str]:
    """For bulk lookups during a key rotation: each value's hash under a retired key → its current hash.

    A caller that matches rows by ``hash__in`` adds these keys to the list it queries
    and reads a found row's hash through the mapping, so a row not yet re-hashed by
    ``rotate_field_key`` is still found. Empty when no other key could have hashed a row.
    """
    materials = retired_materials()
    aliases: dict[str, str] = {}
    if not materials:
        return aliases
    for value in values:
        current = lookup_hash(value)
        for material in materials:
            digest = lookup_hash(value, material=material)
            if digest != current:
                aliases[digest] = current
    return aliases
