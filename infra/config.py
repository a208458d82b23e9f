"""The deployment's configuration, in one documented place: infra/config.json, or the file named
by the CDK context value `config` (`cdk deploy -c config=my-practice.json`)."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT = Path(__file__).with_name("config.json")


class DeployConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The AWS region to deploy into.
    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    # Shown to clients; the practice can change it later on the staff page.
    practiceName: str = Field(min_length=1, max_length=100)
    # IANA time zone of the practice, e.g. America/New_York.
    timeZone: str
    # The SES identity emails are sent from: a domain (recommended) or one address, verified in SES.
    sesIdentity: str = Field(min_length=3)
    # The From address of every email; must belong to sesIdentity.
    senderEmail: str = Field(min_length=3)
    # Where "a request awaits review" emails go.
    notificationEmail: str = Field(min_length=3)
    # Origins of the practice's website(s) that embed the "Request Appointment" button.
    websiteOrigins: list[str] = Field(default_factory=list)
    # Alarms (function errors, throttles, undelivered notifications) are emailed here; none if empty.
    alarmEmail: str | None = None
    # Requests per 5 minutes one address may make to POST /requests before WAF blocks it.
    requestRateLimit: int = Field(100, ge=10, le=20_000)
    # Calls per 5 minutes one address may make to the API as a whole (every route): generous
    # enough for a practice's office behind one address (docs/operations.md sizes it).
    callerRateLimit: int = Field(3000, ge=100, le=2_000_000_000)
    # The request form's bot check (AWS WAF Bot Control and a silent challenge, about $10 a month;
    # docs/operations.md). Off, the form is guarded by the rate limits and the pending cap only.
    botCheck: bool = True
    # Reserved concurrency of each API function (the notify function gets 5).
    reservedConcurrency: int = Field(10, ge=1, le=1000)
    # Days logs are kept.
    logRetentionDays: int = 365

    @field_validator("timeZone")
    @classmethod
    def _zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("websiteOrigins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not origin.startswith("https://") or origin.rstrip("/") != origin:
                raise ValueError("origins are https://host[:port] without a trailing slash")
        return value

    @classmethod
    def load(cls, path: str | Path | None = None) -> DeployConfig:
        return cls.model_validate(json.loads(Path(path or DEFAULT).read_text(encoding="utf-8")))
