"""Which change sends which email, from a stream record's old and new images. Pure.

| change                                   | email                                   | to                  |
| ---------------------------------------- | --------------------------------------- | ------------------- |
| a new request of any kind                | a request awaits review (staff link)    | practice            |
| a new request approved                   | appointment confirmed + invite REQUEST  | client              |
| a reschedule approved                    | appointment moved + invite REQUEST      | client              |
| a cancellation approved                  | appointment cancelled + invite CANCEL   | client              |
| a denial, any other change               | nothing (the practice calls the client) |                     |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from functions.scheduling.lifecycle import Request

NoticeKind = Literal["received", "confirmed", "moved", "cancelled"]
APPROVED: dict[str, NoticeKind] = {"new": "confirmed", "reschedule": "moved", "cancel": "cancelled"}


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    request: Request

    @property
    def to_practice(self) -> bool:
        return self.kind == "received"

    @property
    def change_key(self) -> str:
        """Names the change that caused this email: one email per key, ever."""
        return f"{self.request.id}#v{self.request.version}#{self.kind}"


def _request(image: Mapping[str, Any]) -> Request | None:
    if image.get("type") != "request":
        return None
    return Request.model_validate({k: v for k, v in image.items() if k in Request.model_fields})


def notices(event_name: str, old_image: Mapping[str, Any], new_image: Mapping[str, Any]) -> list[Notice]:
    after = _request(new_image)
    if after is None:
        return []
    if event_name == "INSERT":
        return [Notice("received", after)] if after.status == "pending" else []
    before = _request(old_image)
    if (
        event_name == "MODIFY"
        and before is not None
        and before.status == "pending"
        and after.status == "approved"
    ):
        return [Notice(APPROVED[after.kind], after)]
    return []
