"""The benchmarks stay runnable: their modules import, and their setup builds a due wave
through the product's own drafting (figures themselves are measured by running them)."""

from __future__ import annotations

import importlib
import pkgutil

import bench
from bench.common import launched_wave
from campaigns.core.db import Database
from campaigns.core.models import CampaignStatus, Wave, utcnow
from tests.support import factories


def test_every_benchmark_module_imports() -> None:
    names = [m.name for m in pkgutil.iter_modules(bench.__path__)]
    assert {"pipeline", "providers", "api", "common"} <= set(names)
    for name in names:
        importlib.import_module(f"bench.{name}")


def test_the_benchmark_setup_builds_a_due_wave(pg_db: Database) -> None:
    with pg_db.session() as session:
        session.add_all([factories.student(graduation_term="bench-3") for _ in range(3)])
    now = utcnow()
    wave_id = launched_wave(pg_db, "bench-3", "sms", now=now)
    with pg_db.session() as session:
        wave = session.get(Wave, wave_id)
        assert wave is not None
        assert wave.channels == ["sms"]
        assert wave.start_at is not None
        assert wave.start_at <= now
        assert wave.campaign.status is CampaignStatus.ACTIVE
