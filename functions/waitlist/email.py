"""The waitlist's email: a time opened up, and the link to request it. The time, the clinician,
the practice and the link; never the appointment type (it can say what the visit is for), the
date of birth, a phone number or comments. Everything inserted into HTML is escaped."""

from __future__ import annotations

import html
from datetime import datetime
from functools import cache
from importlib import resources
from string import Template

from functions.notify.render import Email, when
from functions.scheduling.config import PracticeConfig

SUBJECT = "A time has opened up - {practice}"


@cache
def _template(name: str) -> Template:
    return Template(resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8"))


def opened(
    config: PracticeConfig, *, to: str, first_name: str, start: datetime, clinician_id: str, link: str
) -> Email:
    values = {
        "practice": config.practice.name,
        "first_name": first_name,
        "when": when(config, start),
        "clinician": config.clinician_name(clinician_id),
        "link": link,
    }
    text = _template("opened.txt").substitute(values)
    body = _template("opened.html").substitute({k: html.escape(v) for k, v in values.items()})
    return Email(to, SUBJECT.format(practice=config.practice.name), text, body)
