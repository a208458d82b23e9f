"""What operator commands (`make redrive`, `make migrate`) share: finding the deployed stack."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def stack(description: str | None, argv: list[str] | None) -> tuple[Any, dict[str, str]]:
    """Parse `--stack` and `--config` and return a boto3 session in the deployment's region
    and the stack's outputs by name."""
    import boto3

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--stack", default="ClientPortal", help="the deployed stack's name")
    parser.add_argument("--config", help="the deployment's configuration file, for its region")
    args = parser.parse_args(argv)
    region = json.loads(Path(args.config).read_text(encoding="utf-8"))["region"] if args.config else None
    session = boto3.Session(region_name=region)
    found = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    return session, {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
