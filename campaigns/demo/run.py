"""The embedded demo: a synthetic cohort through the whole pipeline, with no server at all.

A temporary SQLite database, tasks in this process, the example campaign with its waves
compressed to seconds, a share of students registering between waves, and the funnel at
the end. Every name is invented and generated from a fixed seed.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from campaigns import lifecycle
from campaigns.audience import audience_condition
from campaigns.conversions import ConversionInput, record_conversions
from campaigns.db import Database
from campaigns.definition import parse_definition, parse_toml
from campaigns.models import (
    Campaign,
    CampaignStatus,
    Conversion,
    Student,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.reports import Dimension, Report, campaign_report
from campaigns.runtime import build_runtime
from campaigns.settings import PROJECT_ROOT, Settings
from campaigns.student_import import ImportReport, import_students
from campaigns.tabular import read_table

EXAMPLE = PROJECT_ROOT / "examples" / "registration_2019_2020.toml"
TERM = "2019-2020 Bahar"

FIRST_NAMES = (
    "Ayşe",
    "Mehmet",
    "Zeynep",
    "Mustafa",
    "Elif",
    "Emre",
    "Büşra",
    "Oğuz",
    "İrem",
    "Çağrı",
    "Gökçe",
    "Burak",
    "Şeyma",
    "Ilgın",
    "Kaan",
    "Ece",
    "Furkan",
    "Özge",
    "Umut",
    "Merve",
)
LAST_NAMES = (
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Öztürk",
    "Aydın",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Koç",
    "Kurt",
    "Özdemir",
    "Işık",
    "Güneş",
    "Ateş",
    "Erdoğan",
)
FACULTIES = {
    "Mühendislik Fakültesi": (
        "Bilgisayar Mühendisliği",
        "Elektrik-Elektronik Mühendisliği",
        "İnşaat Mühendisliği",
    ),
    "Fen Edebiyat Fakültesi": ("Kimya", "Matematik"),
}
ADVISORS = (
    ("Dr. Öğr. Üyesi Selin Akın", "selin.akin"),
    ("Doç. Dr. Tolga Uçar", "tolga.ucar"),
    ("Prof. Dr. Nazlı İnan", "nazli.inan"),
)
COLUMNS = (
    "student_no",
    "first_name",
    "last_name",
    "faculty",
    "department",
    "degree",
    "advisor_name",
    "advisor_email",
    "email",
    "personal_email",
    "mobile",
    "whatsapp_opt_in",
    "contact_consent",
    "language",
    "graduation_term",
)


@dataclass(frozen=True, slots=True)
class DemoResult:
    workdir: Path
    outbox: Path
    imported: ImportReport
    campaign_id: int
    report: Report
    by_channel: Report
    seconds: float


def synthetic_cohort(size: int, seed: int = 2020) -> list[dict[str, str]]:
    """Invented graduating students, as the registrar's English-header export would list
    them: most reachable everywhere, some without consent, a landline, no personal email,
    no WhatsApp opt-in, a few who prefer English."""
    rng = random.Random(seed)  # noqa: S311 - invented data, not security
    rows = []
    for index in range(size):
        number = str(19_100_000 + index)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        faculty = rng.choices(list(FACULTIES), weights=(4, 1))[0]
        advisor, handle = rng.choice(ADVISORS)
        ascii_first = first.translate(str.maketrans("çğıİöşüÇĞÖŞÜ", "cgiIosuCGOSU")).lower()
        landline = rng.random() < 0.04
        rows.append(
            {
                "student_no": number,
                "first_name": first,
                "last_name": last,
                "faculty": faculty,
                "department": rng.choice(FACULTIES[faculty]),
                "degree": rng.choices(["lisans", "yüksek lisans", "doktora"], (8, 2, 1))[0],
                "advisor_name": advisor,
                "advisor_email": f"{handle}@universite.example.edu.tr",
                "email": f"{number}@ogr.universite.example.edu.tr",
                "personal_email": ""
                if rng.random() < 0.3
                else f"{ascii_first}.{number}@example.com",
                "mobile": f"0362 {rng.randint(100, 999)} {rng.randint(10, 99)} 00"
                if landline
                else f"05{rng.choice('0345')}{rng.randint(0, 9)} {rng.randint(100, 999)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                "whatsapp_opt_in": "evet" if rng.random() < 0.7 else "hayır",
                "contact_consent": "evet" if rng.random() < 0.95 else "hayır",
                "language": "en" if rng.random() < 0.05 else "tr",
                "graduation_term": TERM,
            }
        )
    return rows


def write_cohort(path: Path, rows: list[dict[str, str]]) -> None:
    """The cohort as CSV, plus two flawed rows of the kind real exports contain."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        writer.writerow({**rows[0], "student_no": "", "first_name": "Numarasız"})
        writer.writerow({**rows[1], "student_no": "19199999", "mobile": "532 123 45"})


def demo_settings(workdir: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{workdir / 'demo.db'}",
        outbox_dir=workdir / "outbox",
        broker_url=None,
        _env_file=None,
    )


def compressed_example(wave_gap_seconds: int) -> dict[str, object]:
    """The example campaign with waves ``wave_gap_seconds`` apart and an always-open window
    (a demo run at night would otherwise wait for the morning)."""
    data = parse_toml(EXAMPLE.read_text(encoding="utf-8"))
    data["send_window"] = "00:00-24:00"
    for index, wave in enumerate(data["waves"]):
        wave["offset"] = f"{index * wave_gap_seconds}s"
    return data


def run_demo(
    workdir: Path,
    *,
    size: int = 240,
    wave_gap_seconds: int = 4,
    conversion_share: float = 0.3,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the whole pipeline once in ``workdir`` and return the funnel."""
    started = time.perf_counter()
    settings = demo_settings(workdir)
    db = Database(settings.database_url)
    db.upgrade()
    cohort = workdir / "mezun_adaylari.csv"
    write_cohort(cohort, synthetic_cohort(size))
    with db.session() as session:
        imported = import_students(session, read_table(cohort))
    say(
        f"öğrenci listesi / student list: {imported.imported} alındı / imported, "
        f"{imported.rejected} reddedildi / rejected, "
        f"{sum(1 for i in imported.issues if i.severity == 'warning')} uyarı / warnings"
    )

    definition = parse_definition(
        compressed_example(wave_gap_seconds), default_timezone=settings.timezone
    )
    with db.session() as session:
        campaign = lifecycle.create_campaign(session, definition, settings=settings)
        lifecycle.launch(session, campaign.id, now=utcnow())
        campaign_id = campaign.id
    say(f"kampanya / campaign #{campaign_id}: {definition.name}")

    rng = random.Random(7)  # noqa: S311 - which invented students "register"
    runtime = build_runtime(settings)
    converted_after: set[int] = set()
    try:
        while True:
            report = runtime.tick()
            for plan in report.planned:
                say(
                    f"  dalga / wave {plan.wave_id}: {plan.pending} mesaj / messages, "
                    f"atlanan / skipped {dict(plan.skipped)}"
                )
            done = _finished_waves(db, campaign_id)
            for position in sorted(set(done) - converted_after):
                converted_after.add(position)
                if position < len(definition.waves):
                    count = _register_some(db, campaign_id, rng, conversion_share)
                    say(f"  {count} öğrenci kayıt oldu / students registered")
            if _status(db, campaign_id) is not CampaignStatus.ACTIVE:
                break
            time.sleep(0.5)
    finally:
        runtime.close()

    with db.session() as session:
        by_wave = campaign_report(session, campaign_id, Dimension.wave)
        by_channel = campaign_report(session, campaign_id, Dimension.channel)
    db.dispose()
    return DemoResult(
        workdir,
        settings.outbox_dir,
        imported,
        campaign_id,
        by_wave,
        by_channel,
        time.perf_counter() - started,
    )


def _finished_waves(db: Database, campaign_id: int) -> list[int]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Wave.position).where(
                    Wave.campaign_id == campaign_id, Wave.status == WaveStatus.DONE
                )
            )
        )


def _status(db: Database, campaign_id: int) -> CampaignStatus:
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def _register_some(db: Database, campaign_id: int, rng: random.Random, share: float) -> int:
    """A share of the audience who have not registered yet do so (as the alumni system
    would report it)."""
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        registered = select(Conversion.student_id).where(Conversion.student_id.is_not(None))
        candidates = list(
            session.scalars(
                select(Student.student_no)
                .where(audience_condition(campaign.audience), Student.id.not_in(registered))
                .order_by(Student.student_no)
            )
        )
        chosen = rng.sample(candidates, round(len(candidates) * share))
        now = utcnow()
        record_conversions(session, [ConversionInput(no, now) for no in chosen], source="demo")
    return len(chosen)
