"""Page times of the web app on a 100,000-student cohort (PostgreSQL, one uvicorn process):
p50 and p95 of the board, the "not registered yet" worklist (first and a deep page), a
student's page and the worklist as XLSX, each next to a bare "hello" endpoint measured with
the same load generator and concurrency in the same run.

    .venv/bin/python -m bench.web [--students 100000] [--connections 4]
"""

from __future__ import annotations

import argparse

from sqlalchemy import text

from bench.common import free_port, throwaway_database, uvicorn_process
from bench.load import LoadResult, drive, http_request
from bench.pipeline import insert_students
from campaigns.access import sign_in, users
from campaigns.core.actors import Actor
from campaigns.core.models import Role
from campaigns.core.settings import Settings

ADVISOR = "kemal.isik@universite.example.edu.tr"  # every synthetic student's advisor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    with throwaway_database() as db:
        term = f"bench-{args.students}"
        insert_students(db, args.students, term)
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
            connection.execute(text("ANALYZE"))
            sample = connection.execute(text("SELECT student_no FROM students LIMIT 1")).scalar()
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
