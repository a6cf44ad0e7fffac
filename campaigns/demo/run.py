"""The embedded demo: a synthetic cohort through the whole pipeline, with no server to set up.

A temporary SQLite database, tasks in this process, the real Twilio and SendGrid adapters
talking to the built-in provider simulator (which calls our webhooks back, signed), the
example campaign with its waves compressed to seconds, students following their tracked
links and registering between waves (reported by the signed conversion webhook, as the
alumni system would), and the funnel at the end. Every name is invented, from a fixed seed.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from campaigns.access import sign_in, users
from campaigns.conversions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Conversion,
    DeliveryEvent,
    Message,
    Role,
    Student,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.core.settings import PROJECT_ROOT, Settings
from campaigns.core.tabular_files import read_table
from campaigns.definitions import drafts
from campaigns.definitions.campaign_file import parse_toml
from campaigns.delivery.adapter_pool import adapter_env
from campaigns.demo.cohort import ADVISORS, synthetic_cohort, write_cohort
from campaigns.demo.stage import Stage, provider_stage
from campaigns.planning import launching
from campaigns.reports.funnel import Dimension, Report, campaign_report
from campaigns.runtime import build_runtime
from campaigns.students.audience import audience_condition
from campaigns.students.importing import ImportReport, import_list
from campaigns.tracking.links import message_token

EXAMPLE = PROJECT_ROOT / "examples" / "registration_2019_2020.toml"
DEMO_ACTOR = Actor("demo", Role.ADMIN)
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"


@dataclass(frozen=True, slots=True)
class DemoResult:
    workdir: Path
    imported: ImportReport
    campaign_id: int
    report: Report
    by_channel: Report
    accepted_by_providers: int
    callbacks: int
    seconds: float
    advisor: str
    sign_in_link: str
    office: str
    """The alumni office's administrator: every campaign, its report, the admin pages."""
    office_link: str


def demo_settings(workdir: Path) -> Settings:
    """The demo plays weeks of waves in a minute: the frequency caps, which count real days
    and weeks, would hold its later waves until tomorrow, and a demo run on a holiday would
    wait for the next working day, so both are off here."""
    return Settings(
        database_url=f"sqlite:///{workdir / 'demo.db'}",
        outbox_dir=workdir / "outbox",
        broker_url=None,
        frequency_caps="",
        holidays="",
        _env_file=None,
    )


def compressed_example() -> dict[str, object]:
    """The example campaign with an always-open window (a demo run at night would otherwise
    wait for the morning) and its later waves a day apart: the demo brings each forward
    once the students have answered the one before (``_bring_forward``), so the story is
    the same however fast the machine is."""
    data = parse_toml(EXAMPLE.read_text(encoding="utf-8"))
    data["send_window"] = "00:00-24:00"
    for index, wave in enumerate(data["waves"]):
        wave["offset"] = f"{index}d"
    return data


def run_demo(
    workdir: Path,
    *,
    size: int = 240,
    wave_gap_seconds: int = 4,
    conversion_share: float = 0.3,
    say: Callable[[str], None] = print,
    access_log: bool = False,
) -> DemoResult:
    """Run the whole pipeline once in ``workdir`` and return the funnel (``access_log``:
    the app logs every request, as in production)."""
    started = time.perf_counter()
    base = demo_settings(workdir)
    db = Database(base.database_url)
    db.upgrade()
    cohort = workdir / "mezun_adaylari.csv"
    write_cohort(cohort, synthetic_cohort(size))
    with db.session() as session:
        imported = import_list(session, DEMO_ACTOR, read_table(cohort), source=cohort.name)
    say(
        f"öğrenci listesi / student list: {imported.imported} alındı / imported, "
        f"{imported.rejected} reddedildi / rejected, "
        f"{sum(1 for i in imported.issues if i.severity == 'warning')} uyarı / warnings"
    )

    with provider_stage(base, access_log=access_log) as stage:
        settings = stage.settings
        with db.session() as session:
            example = compressed_example()
            campaign_id = drafts.create(session, DEMO_ACTOR, example, settings=settings).id
        env = adapter_env(settings, stage.env)
        launched = launching.launch(db, settings, env, DEMO_ACTOR, campaign_id, now=utcnow())
        waves = len(launched.campaign.waves)
        say(f"kampanya / campaign #{campaign_id}: {example['name']}")
        say(f"sağlayıcı simülatörü / provider simulator: {stage.simulator_url}")

        rng = random.Random(7)  # noqa: S311 - which invented students respond
        runtime = build_runtime(settings, env=stage.env)
        responded_after: set[int] = set()
        try:
            with httpx.Client(base_url=stage.app_url, timeout=10) as http:
                while _status(db, campaign_id) is CampaignStatus.ACTIVE:
                    for plan in runtime.tick().planned:
                        say(
                            f"  dalga / wave {plan.wave_id}: {plan.pending} mesaj / messages, "
                            f"atlanan / skipped {dict(plan.skipped)}"
                        )
                    for wave_id in _finished_waves(db, campaign_id) - responded_after:
                        responded_after.add(wave_id)
                        if len(responded_after) < waves:
                            count = _students_respond(
                                db, http, stage, wave_id, rng, conversion_share
                            )
                            say(
                                f"  {count} öğrenci bağlantıyı açıp kaydoldu / students "
                                "followed their link and registered"
                            )
                            _bring_forward(db, campaign_id, wave_gap_seconds)
                    time.sleep(0.3)
            # Netgsm calls nobody back: its report is asked until every status is in.
            _wait_for_callbacks(db, lambda: runtime.tick())
        finally:
            runtime.close()
        ledger = httpx.get(f"{stage.simulator_url}/_simulator/ledger", timeout=10).json()

    with db.session() as session:
        currency = settings.cost_currency
        by_wave = campaign_report(session, campaign_id, Dimension.wave, currency=currency)
        by_channel = campaign_report(session, campaign_id, Dimension.channel, currency=currency)
    advisor, link = _demo_user(db, workdir, ADVISOR_ADDRESS, Role.ADVISOR)
    office, office_link = _demo_user(db, workdir, OFFICE_ADDRESS, Role.ADMIN)
    db.dispose()
    return DemoResult(
        workdir,
        imported,
        campaign_id,
        by_wave,
        by_channel,
        sum(entry["count"] for entry in ledger["accepted"]),
        ledger["callbacks_sent"],
        time.perf_counter() - started,
        advisor,
        link,
        office,
        office_link,
    )


WEB_URL = "http://127.0.0.1:8000"
"""Where ``campaigns serve`` answers by default: the demo's sign-in link points there."""


ADVISOR_ADDRESS = f"{ADVISORS[0][1]}@universite.example.edu.tr"
"""The cohort's first advisor."""
OFFICE_ADDRESS = "mezun-ofisi@universite.example.edu.tr"


def _demo_user(db: Database, workdir: Path, address: str, role: Role) -> tuple[str, str]:
    """A web app user, and a sign-in link for them."""
    web = demo_settings(workdir).model_copy(update={"public_url": WEB_URL})
    with db.session() as session:
        users.add_user(session, DEMO_ACTOR, email=address, role=role)
        requested = sign_in.request_link(session, address, "demo", settings=web)
    assert requested.link is not None
    return address, requested.link


def _bring_forward(db: Database, campaign_id: int, gap_seconds: int) -> None:
    """The campaign's next waiting wave starts ``gap_seconds`` from now (the demo's clock)."""
    with db.session() as session:
        upcoming = session.scalars(
            select(Wave)
            .where(Wave.campaign_id == campaign_id, Wave.status == WaveStatus.WAITING)
            .order_by(Wave.position)
            .limit(1)
        ).first()
        if upcoming is not None:
            upcoming.start_at = utcnow() + timedelta(seconds=gap_seconds)


def _finished_waves(db: Database, campaign_id: int) -> set[int]:
    with db.session() as session:
        return set(
            session.scalars(
                select(Wave.id).where(
                    Wave.campaign_id == campaign_id, Wave.status == WaveStatus.DONE
                )
            )
        )


def _status(db: Database, campaign_id: int) -> CampaignStatus:
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def _students_respond(
    db: Database, http: httpx.Client, stage: Stage, wave_id: int, rng: random.Random, share: float
) -> int:
    """A share of the students the wave reached follow their link, then register: the click
    goes through ``/r/<token>``, the registration through the signed conversion webhook."""
    with db.session() as session:
        campaign = session.scalars(select(Campaign).join(Wave).where(Wave.id == wave_id)).one()
        registered = select(Conversion.student_id).where(Conversion.student_id.is_not(None))
        reached = session.execute(
            select(Student.student_no, Message.id, Message.secret)
            .join(Message, Message.student_id == Student.id)
            .where(
                Message.wave_id == wave_id,
                Message.secret.is_not(None),
                Message.sent_at.is_not(None),
                audience_condition(campaign.audience),
                Student.id.not_in(registered),
            )
            .order_by(Student.student_no)
        ).all()
    chosen = rng.sample(reached, round(len(reached) * share))
    for row in chosen:
        http.get(f"/r/{message_token(row.id, row.secret)}", headers={"User-Agent": BROWSER})
    body = json.dumps(
        {
            "conversions": [
                {"student_no": r.student_no, "registered_at": utcnow().isoformat()} for r in chosen
            ]
        }
    ).encode()
    if chosen:
        timestamp = str(int(time.time()))
        secret = stage.settings.conversion_secret or ""
        http.post(
            "/conversions",
            content=body,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
            },
        ).raise_for_status()
    return len(chosen)


def _wait_for_callbacks(
    db: Database, tick: Callable[[], object], quiet: float = 1.0, limit: float = 15.0
) -> None:
    """Give the provider callbacks still on their way a moment to arrive, ticking the
    scheduler (whose polls ask the providers that do not call back)."""
    deadline = time.monotonic() + limit
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        tick()
        with db.session() as session:
            count = session.scalar(select(func.count()).select_from(DeliveryEvent)) or 0
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.2)
