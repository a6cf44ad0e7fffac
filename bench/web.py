"""Page times of the web app on a 100,000-student cohort (PostgreSQL, one uvicorn process):
p50 and p95 of the board (by term and by department, with the trend), the "not registered
yet" worklist (first and a deep page, and by reachable channel), a student's page, the
worklist as XLSX, the campaigns list and a campaign's report (by wave and by department)
with a message for every student, each next to a bare "hello" endpoint measured with the
same load generator and concurrency in the same run.

    .venv/bin/python -m bench.web [--students 100000] [--connections 4]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import time

from sqlalchemy import text

from bench.common import free_port, throwaway_database, uvicorn_process
from bench.load import LoadResult, drive, http_request
from bench.pipeline import insert_students
from campaigns.access import sign_in, users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Campaign, CampaignStatus, Role, Wave, WaveStatus, utcnow
from campaigns.core.settings import Settings

ADVISOR = "kemal.isik@universite.example.edu.tr"  # every synthetic student's advisor


@dataclass(frozen=True, slots=True)
class Seeded:
    term: str
    campaign_id: int
    sample: str
    """A student's number."""


def seed(db: Database, students: int) -> Seeded:
    """``students`` students of the advisor (a third registered, a tenth of those with the
    form), and an active campaign with a message for each of them."""
    term = f"bench-{students}"
    insert_students(db, students, term)
    with db.engine.begin() as connection:
        # A third registered, a tenth of those with the form handed in.
        connection.execute(
            text(
                "INSERT INTO conversions (student_no, student_id, stage, occurred_at, source,"
                " recorded_at) SELECT student_no, id, :stage, now(), 'bench', now()"
                " FROM students WHERE id % :every = 0"
            ),
            [{"stage": "registered", "every": 3}, {"stage": "form_submitted", "every": 30}],
        )
    with db.session() as session:
        campaign = Campaign(
            name="bench",
            status=CampaignStatus.ACTIVE,
            timezone="Europe/Istanbul",
            window_start=time(0),
            window_end=time(0),
            goal_url="https://mezun.universite.example.edu.tr/kayit",
            audience={"graduation_terms": [term]},
            definition={},
            scope_advisor=ADVISOR,
            launched_at=utcnow(),
        )
        campaign.waves.append(
            Wave(
                position=1,
                name="duyuru",
                start_at=utcnow(),
                channels=["email", "sms"],
                template="registration_announcement",
                only_unconverted=False,
                options={},
                status=WaveStatus.SENDING,
                planned_at=utcnow(),
            )
        )
        session.add(campaign)
        session.flush()
        campaign_id, wave_id = campaign.id, campaign.waves[0].id
    with db.engine.begin() as connection:
        # Every student has a message: most delivered, some failed, some still queued.
        connection.execute(
            text(
                "INSERT INTO messages (wave_id, student_id, status, channel, address,"
                " attempts, click_count, created_at, sent_at, delivered_at, provider, cost)"
                " SELECT :wave, id, CASE WHEN id % 20 = 0 THEN 'failed'"
                " WHEN id % 10 = 0 THEN 'pending' ELSE 'delivered' END,"
                " CASE WHEN id % 2 = 0 THEN 'email' ELSE 'sms' END, 'x', 1, 0, now(),"
                " CASE WHEN id % 10 = 0 AND id % 20 <> 0 THEN NULL ELSE now() END,"
                " CASE WHEN id % 10 = 0 THEN NULL ELSE now() END, 'bench', 0.01"
                " FROM students"
            ),
            {"wave": wave_id},
        )
        connection.execute(text("ANALYZE"))
        sample = connection.execute(text("SELECT student_no FROM students LIMIT 1")).scalar()
    assert sample is not None
    return Seeded(term, campaign_id, sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    with throwaway_database() as db:
        seeded = seed(db, args.students)
        campaign_id, sample = seeded.campaign_id, seeded.sample
        port = free_port()
        settings = Settings(
            database_url=db.url, public_url=f"http://127.0.0.1:{port}", _env_file=None
        )
        with db.session() as session:
            users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
            link = sign_in.request_link(session, ADVISOR, "bench", settings=settings).link
        assert link is not None
        with db.session() as session:
            opened = sign_in.redeem(session, link.rpartition("/")[2])
        cookie = {"Cookie": f"mbs_session={opened.token}"}
        pages = {
            "board": "/",
            "worklist, page 1": "/ogrenciler?kayit=hayir",
            "worklist, page 1000": "/ogrenciler?kayit=hayir&sayfa=1000",
            "a student's page": f"/ogrenciler/{sample}",
            "a worklist search as XLSX": f"/ogrenciler.xlsx?kayit=hayir&ara={args.students}-12",
            "board by department": "/?kirilim=bolum",
            "worklist, reachable by SMS": "/ogrenciler?kayit=hayir&ulasim=sms",
            "campaigns list": "/kampanyalar",
            "a campaign's report by wave": f"/kampanyalar/{campaign_id}",
            "its report by department": f"/kampanyalar/{campaign_id}/rapor?kirilim=bolum",
        }
        env = {"CAMPAIGNS_DATABASE_URL": db.url, "CAMPAIGNS_PUBLIC_URL": settings.public_url}
        results: dict[str, LoadResult] = {}
        with uvicorn_process("campaigns.http.app:create_app", env, factory=True, port=port):
            for name, path in pages.items():
                result = drive(
                    port,
                    [http_request("GET", path, cookie)],
                    connections=args.connections,
                    seconds=args.seconds,
                )
                assert set(result.statuses) == {200}, (name, result.statuses)
                results[name] = result
    with uvicorn_process("bench.hello:fastapi") as hello:
        bare = drive(
            hello,
            [http_request("GET", "/", {})],
            connections=args.connections,
            seconds=args.seconds,
        )

    print(
        f"{args.students:,} students, {args.connections} connections; bare FastAPI hello: "
        f"p50 {bare.percentile(0.5) * 1000:.1f} ms, p95 {bare.percentile(0.95) * 1000:.1f} ms"
    )
    for name, result in results.items():
        p50, p95 = result.percentile(0.5), result.percentile(0.95)
        print(
            f"{name:32} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
            f"({p50 / bare.percentile(0.5):.0f}x the bare p50)  {result.rate:,.0f} req/s"
        )


if __name__ == "__main__":
    main()
