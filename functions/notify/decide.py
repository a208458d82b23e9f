"""Which change sends which email, from a stream record's old and new images. Pure.

| change                                   | email                                   | to                  |
| ---------------------------------------- | --------------------------------------- | ------------------- |
| a new request of any kind                | a request awaits review (staff link)    | practice            |
| a new request approved                   | appointment confirmed + invite REQUEST  | client              |
| a reschedule approved                    | appointment moved + invite REQUEST      | client              |
| a cancellation approved                  | appointment cancelled + invite CANCEL   | client              |
| staff booked, moved or cancelled one     | as the approval of that kind above      | client              |
| a denial with other times offered (v2)   | the times, each with the offer's link   | client              |
| an offered time accepted (v2)            | appointment confirmed + invite REQUEST  | client              |
| a denial, any other change               | nothing (the practice calls the client) |                     |
| staff asking to send a failed email again | that email once more                    | as the first time   |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from functions.scheduling.lifecycle import Request

NoticeKind = Literal["received", "confirmed", "moved", "cancelled", "offered"]
APPROVED: dict[str, NoticeKind] = {"new": "confirmed", "reschedule": "moved", "cancel": "cancelled"}


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    request: Request
    # The how-manieth time staff asked to send it again (0: the first email).
    resend: int = 0

    @property
    def to_practice(self) -> bool:
        return self.kind == "received"

    @property
    def change_key(self) -> str:
        """Names the change that caused this email: one email per key, ever."""
        again = f"#resend{self.resend}" if self.resend else ""
        return f"{self.request.id}#v{self.request.version}#{self.kind}{again}"


def _request(image: Mapping[str, Any]) -> Request | None:
    if image.get("type") != "request":
        return None
    return Request.model_validate({k: v for k, v in image.items() if k in Request.model_fields})


def _resend(old_image: Mapping[str, Any], new_image: Mapping[str, Any], after: Request) -> list[Notice]:
    """Staff asked to send a failed email again: `resends` grew, and `notification` names it."""
    count = int(new_image.get("resends") or 0)
    if count <= int(old_image.get("resends") or 0):
        return []
    kind = (new_image.get("notification") or {}).get("notice")
    if kind not in SUBJECT_KINDS:
        return []
    return [Notice(kind, after, resend=count)]


SUBJECT_KINDS: frozenset[str] = frozenset({"received", "confirmed", "moved", "cancelled", "offered"})


def notices(event_name: str, old_image: Mapping[str, Any], new_image: Mapping[str, Any]) -> list[Notice]:
    after = _request(new_image)
    if after is None:
        return []
    if event_name == "INSERT":
        # Staff's own change, or a client accepting a time staff offered: decided as it was made.
        if after.status == "approved" and (after.madeBy == "staff" or after.offerId):
            return [Notice(APPROVED[after.kind], after)]
        return [Notice("received", after)] if after.status == "pending" else []
    if again := _resend(old_image, new_image, after):
        return again
    before = _request(old_image)
    if event_name == "MODIFY" and before is not None and before.status == "pending":
        if after.status == "approved":
            return [Notice(APPROVED[after.kind], after)]
        if after.status == "denied" and after.offerId:
            return [Notice("offered", after)]
    return []
