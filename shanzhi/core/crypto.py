"""Encryption of personal data at rest: SM4-GCM for the value, HMAC-SM3 for lookup.

Ciphertexts are text: ``sm4gcm:<key id>:<base64(nonce | ciphertext | tag)>`` so that a
key rotation can tell which key sealed each value. The lookup hash is keyed, so a
leaked database does not let anyone test guesses of ID numbers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

PREFIX = "sm4gcm"


class DecryptionError(ValueError):
    pass


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


def encrypt(plaintext: str, *, material: str | None = None) -> str:
    key_id, enc_key, _ = _keys(settings.SHANZHI_FIELD_KEY if material is None else material)
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(enc_key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    sealed = base64.b64encode(nonce + body + encryptor.tag).decode()
    return f"{PREFIX}:{key_id}:{sealed}"


def decrypt(token: str, *, material: str | None = None) -> str:
    try:
        prefix, key_id, sealed = token.split(":", 2)
        raw = base64.b64decode(sealed)
    except (ValueError, AttributeError):
        raise DecryptionError("not a Shanzhi ciphertext") from None
    if prefix != PREFIX:
        raise DecryptionError("not a Shanzhi ciphertext")
    current_id, enc_key, _ = _keys(settings.SHANZHI_FIELD_KEY if material is None else material)
    if key_id != current_id:
        raise DecryptionError(f"sealed with key {key_id}, current key is {current_id}")
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
