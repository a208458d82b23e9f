"""The secret links of offered times (contract v2): a random token of 192 bits, known only to
the client's email. The table keeps its SHA-256 (the offer's key, so an offer is found by the
token) and the token sealed with a KMS key that only the review function may seal with and only
the notify function may open: a read of the table, or of a backup, cannot accept an offer."""

from __future__ import annotations

import base64
import hashlib
import secrets

from functions import aws

TOKEN_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def seal(token: str, offer_id: str) -> str:
    answer = aws.kms().encrypt(
        KeyId=aws.settings().offer_token_key,
        Plaintext=token.encode(),
        EncryptionContext={"offer": offer_id},
    )
    return base64.b64encode(answer["CiphertextBlob"]).decode()


def unseal(sealed: str, offer_id: str) -> str:
    """The token of an offer, from its sealed copy (the notify function only)."""
    answer = aws.kms().decrypt(CiphertextBlob=base64.b64decode(sealed), EncryptionContext={"offer": offer_id})
    token = answer["Plaintext"].decode()
    if token_hash(token) != offer_id:
        raise ValueError("the sealed token is not this offer's")
    return token
