"""`python -m functions.local.token EMAIL PASSWORD [URL]`: signs in against the running local
stack's user pool (Cognito USER_PASSWORD_AUTH, as the portal does) and prints the ID token."""

from __future__ import annotations

import json
import sys
import urllib.request

import boto3


def id_token(url: str, email: str, password: str) -> str:
    """An ID token from the user pool of the local stack at `url`, as the portal signs in."""
    with urllib.request.urlopen(f"{url.rstrip('/')}/config.json", timeout=10) as answer:  # noqa: S310
        config = json.load(answer)
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=config["cognitoEndpoint"],
        region_name=config["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts any
    )
    result = cognito.initiate_auth(
        ClientId=config["userPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write("usage: python -m functions.local.token EMAIL PASSWORD [http://127.0.0.1:8000]\n")
        return 2
    print(id_token(argv[3] if len(argv) > 3 else "http://127.0.0.1:8000", argv[1], argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
