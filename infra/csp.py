"""The pages' Content-Security-Policy, one definition for CloudFront (infra/web.py) and the local
gateway: their own scripts and styles only, calls to their own origin and the named ones, and
framing by the named ancestors only (none: no other page may frame it)."""

from __future__ import annotations

SELF = "'self'"
NONE = "'none'"


def content_security_policy(
    *, connect: list[str], frame_ancestors: list[str], scripts: list[str] | None = None
) -> str:
    sources = " ".join([SELF, *connect])
    ancestors = " ".join(frame_ancestors) or NONE
    script_sources = " ".join([SELF, *(scripts or [])])
    return (
        f"default-src 'self'; script-src {script_sources}; style-src 'self'; img-src 'self' data:; "
        f"connect-src {sources}; frame-ancestors {ancestors}; "
        "base-uri 'none'; form-action 'self'; object-src 'none'"
    )
