"""Keeps the embedded AWS's state across restarts of the local stack: a snapshot of moto's
DynamoDB, Cognito user pools and SES in one file, written every few seconds and on stop."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .embedded import _serialized

ACCOUNT, REGION = "123456789012", "us-east-1"


def _load_key(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=None)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # Cognito's signing key is a cryptography object, kept as PEM.
        if isinstance(obj, rsa.RSAPrivateKey):
            pem = obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _load_key, (pem,)
        return NotImplemented


def _backends() -> dict[str, Any]:
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.dynamodb.models import dynamodb_backends
    from moto.ses.models import ses_backends

    return {
        "dynamodb": dynamodb_backends[ACCOUNT][REGION],
        "cognito": cognitoidp_backends[ACCOUNT][REGION],
        "ses": ses_backends[ACCOUNT][REGION],
    }


def save(path: Path) -> None:
    backends = _backends()
    buffer = io.BytesIO()
    with _serialized:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
            {
                "dynamodb": backends["dynamodb"].tables,
                "cognito": backends["cognito"].user_pools,
                "ses": backends["ses"].email_identities,
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)


def load(path: Path) -> bool:
    """Restore a snapshot; False (and the file set aside) when there is none or it cannot be read,
    for instance after a moto upgrade."""
    if not path.exists():
        return False
    try:
        state = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, written by save()
    except Exception:
        os.replace(path, path.with_suffix(".unreadable"))
        return False
    backends = _backends()
    backends["dynamodb"].tables = state["dynamodb"]
    backends["cognito"].user_pools = state["cognito"]
    backends["ses"].email_identities = state["ses"]
    return True
