"""Waves for tests: planned with the product's planner, sent through a recording adapter."""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.core.db import Database
from campaigns.core.models import Wave, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.planning.plan_wave import plan_wave
from channels.base import Channel
from tests.support import factories
from tests.support.adapters import RecordingAdapter


def planned_wave(
    db: Database, students: int = 3, *, term: str | None = None, **wave: object
) -> int:
    """A launched campaign's one wave (email unless told), planned for ``students`` new
    students (of ``term``, which then is the campaign's whole audience); its id."""
    now = utcnow()
    with db.session() as session:
        extra = {} if term is None else {"graduation_term": term}
        session.add_all([factories.student(**extra) for _ in range(students)])
        audience = None if term is None else {"graduation_terms": [term]}
        campaign = factories.campaign(session, [dict(wave)], audience=audience, now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
    return wave_id


@dataclass(frozen=True, slots=True)
class SentWave:
    campaign_id: int
    wave_id: int
    wave_name: str
    adapter: RecordingAdapter


def sent_wave(db: Database, settings: Settings, students: int = 3, **wave: object) -> SentWave:
    """``planned_wave``, sent through a ``RecordingAdapter`` that accepts everything."""
    wave_id = planned_wave(db, students, **wave)
    adapter = RecordingAdapter()
    WaveSender(db, settings, AdapterPool(settings, dict.fromkeys(Channel, adapter))).send_batch(
        wave_id
    )
    with db.session() as session:
        row = session.get(Wave, wave_id)
        assert row is not None
        return SentWave(row.campaign_id, wave_id, row.name, adapter)
