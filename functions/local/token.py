"""`python -m functions.local.token EMAIL PASSWORD [URL] [--totp SECRET]`: signs in against the
running local stack (Cognito USER_PASSWORD_AUTH, as the pages do) and prints the ID token. A
client signs in to the clients' user pool; with `--totp`, staff sign in to the staff pool and
answer its SOFTWARE_TOKEN_MFA challenge with the current code of their authenticator's secret.

`python -m functions.local.token --code SECRET` prints the code an authenticator app with that
secret shows now (the demo staff account's secret is printed by `make run`)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request

import boto3
import pyotp
from botocore.exceptions import ClientError


def id_token(url: str, email: str, password: str, totp_secret: str | None = None) -> str:
    """An ID token from the local stack at `url`, as the pages sign in: a client's, or with the
    secret of their authenticator a staff member's."""
    with urllib.request.urlopen(f"{url.rstrip('/')}/config.json", timeout=10) as answer:  # noqa: S310
        config = json.load(answer)
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=config["cognitoEndpoint"],
        region_name=config["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the gateway's /cognito takes no AWS credentials
    )
    client_id = config["staffUserPoolClientId" if totp_secret else "userPoolClientId"]
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    challenge = result.get("ChallengeName")
    if challenge == "SOFTWARE_TOKEN_MFA" and totp_secret:
        result = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=result["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(totp_secret).now()},
        )
    elif challenge == "MFA_SETUP":
        raise RuntimeError(f"{email} has no authenticator yet: sign in on the staff page once to set one up")
    elif challenge is not None:
        raise RuntimeError(f"signing in asks for {challenge}: sign in on the page first")
    return str(result["AuthenticationResult"]["IdToken"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.local.token", description=__doc__)
    parser.add_argument("email", nargs="?")
    parser.add_argument("password", nargs="?")
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--totp", metavar="SECRET", help="a staff account's authenticator secret")
    parser.add_argument("--code", metavar="SECRET", help="print the current code of this secret and stop")
    args = parser.parse_args(argv[1:])
    if args.code:
        print(pyotp.TOTP(args.code).now())
        return 0
    if not args.email or not args.password:
        parser.print_usage(sys.stderr)
        return 2
    try:
        print(id_token(args.url, args.email, args.password, args.totp))
    except RuntimeError as refused:
        sys.stderr.write(f"{refused}\n")
        return 1
    except ClientError as refused:
        hint = "" if args.totp else " (staff sign in to the staff pool: add --totp SECRET)"
        sys.stderr.write(f"not signed in: {refused.response['Error'].get('Message', '')}{hint}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
