"""Rows for tests, inserted with the ORM: students, campaigns and waves."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy.orm import Session

from campaigns.core.models import Campaign, CampaignStatus, Student, Wave, WaveStatus, utcnow

_numbers = itertools.count(20_000_001)


def student(**values: Any) -> Student:
    """A consenting, fully reachable student unless told otherwise."""
    number = str(values.pop("student_no", next(_numbers)))
    defaults: dict[str, Any] = {
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "faculty": "Mühendislik Fakültesi",
        "department": "Bilgisayar Mühendisliği",
        "degree": "lisans",
        "advisor_name": "Dr. Öğr. Üyesi Kemal Işık",
        "advisor_email": "kemal.isik@universite.example.edu.tr",
        "email": f"{number}@stu.universite.example.edu.tr",
        "personal_email": f"ogrenci{number}@example.com",
        "phone": f"+90532{int(number) % 10_000_000:07d}",
        "phone_is_mobile": True,
        "whatsapp_opt_in": True,
        "contact_consent": True,
        "language": "tr",
        "graduation_term": "2019-2020 Bahar",
    }
    defaults.update(values)
    return Student(student_no=number, **defaults)


def campaign(
    session: Session,
    waves: Sequence[dict[str, Any]],
    *,
    audience: dict[str, list[str]] | None = None,
    status: CampaignStatus = CampaignStatus.ACTIVE,
    window: tuple[time, time] = (time(0), time(0)),
    timezone: str = "Europe/Istanbul",
    now: datetime | None = None,
) -> Campaign:
    """A campaign (launched by default, always-open window) with waves due at ``now``."""
    now = now or utcnow()
    item = Campaign(
        name="2019-2020 Mezunları",
        status=status,
        timezone=timezone,
        window_start=window[0],
        window_end=window[1],
        goal_url="https://mezun.universite.example.edu.tr/kayit",
        audience=audience or {"graduation_terms": ["2019-2020 Bahar"]},
        definition={},
        launched_at=now if status is not CampaignStatus.DRAFT else None,
    )
    for position, spec in enumerate(waves):
        spec = dict(spec)
        item.waves.append(
            Wave(
                position=position,
                name=spec.pop("name", f"wave-{position + 1}"),
                start_at=spec.pop("start_at", now),
                channels=spec.pop("channels", ["email"]),
                template=spec.pop("template", "registration_reminder"),
                only_unconverted=spec.pop("only_unconverted", position > 0),
                options=spec.pop("options", {}),
                status=spec.pop("status", WaveStatus.WAITING),
                **spec,
            )
        )
    session.add(item)
    session.flush()
    return item
