"""Plan and send a large wave through the ``null`` adapter on PostgreSQL + Redis + Celery.

Prints planning (students/s), sending (messages/s) and the worker's peak RSS for waves of
10,000, 100,000 and 1,000,000 students, and, measured in the same run on the same worker
settings, Celery's raw rate for a no-op task (one task per message): the ceiling that one
task per message could reach. With ``--caps-cost``, each size is sent again by a worker
without frequency caps and holidays and by one with the defaults (caps, Turkish holidays),
and the ratio says what those rules cost.

    .venv/bin/python -m bench.pipeline [--small 10000] [--students 100000] [--huge 1000000]
    .venv/bin/python -m bench.pipeline --caps-cost --huge 0 [--rounds 3]
"""

from __future__ import annotations

import argparse
import secrets
import time

from sqlalchemy import func, select, text

from bench.common import (
    REDIS_URL,
    RssSampler,
    celery_worker,
    fresh_redis,
    launched_wave,
    poll_until,
    throwaway_database,
    verdict,
)
from campaigns.core.db import Database
from campaigns.core.dispatch import CeleryDispatcher, celery_client
from campaigns.core.models import Message, MessageStatus, open_messages, utcnow
from campaigns.core.settings import Settings
from campaigns.planning.plan_wave import plan_wave

NOOP_TASKS = 20_000


def insert_students(db: Database, count: int, term: str) -> None:
    """Synthetic students straight in SQL (setup, not measured)."""
    with db.engine.begin() as connection:
        connection.execute(
            text(
                """
                INSERT INTO students (student_no, first_name, last_name, faculty, department,
                    degree, advisor_name, advisor_email, email, personal_email, phone,
                    phone_is_mobile, whatsapp_opt_in, contact_consent, language,
                    graduation_term, created_at, updated_at)
                SELECT :term_prefix || n, 'Ayşe', 'Yılmaz', 'Mühendislik Fakültesi',
                    'Bilgisayar Mühendisliği', 'lisans', 'Dr. Kemal Işık',
                    'kemal.isik@universite.example.edu.tr',
                    n || '@stu.universite.example.edu.tr', NULL,
                    '+90532' || lpad(n::text, 7, '0'), true, true, true,
                    CASE WHEN n % 10 = 0 THEN 'en' ELSE 'tr' END, :term, now(), now()
                FROM generate_series(1, :count) AS n
                """
            ),
            {"count": count, "term": term, "term_prefix": f"{term}-"},
        )
        connection.execute(text("ANALYZE students"))


def measure_noop(settings: Settings) -> float:
    """Tasks/s of a no-op task on a 2-process worker configured like the real one."""
    client = fresh_redis()
    env = {"CAMPAIGNS_BROKER_URL": REDIS_URL, "CAMPAIGNS_QUEUE": settings.queue}
    sender = celery_client(REDIS_URL)
    with celery_worker("bench.noop_worker", env):
        sender.send_task("bench.noop", queue=settings.queue)
        poll_until(lambda: client.llen(settings.queue) == 0, 0.05)
        time.sleep(1)
        start = time.perf_counter()
        for _ in range(NOOP_TASKS):
            sender.send_task("bench.noop", queue=settings.queue)
        poll_until(lambda: client.llen(settings.queue) == 0 and client.hlen("unacked") == 0, 0.01)
        return NOOP_TASKS / (time.perf_counter() - start)


def run_wave(
    db: Database, settings: Settings, students: int, sampler_pid: list[int], tag: str = ""
) -> dict[str, float]:
    term = f"bench-{tag}{students}"
    insert_students(db, students, term)
    now = utcnow()
    wave_id = launched_wave(db, term, "sms", now=now)

    start = time.perf_counter()
    with db.session() as session:
        result = plan_wave(session, wave_id, now=now)
    planning = time.perf_counter() - start
    assert result.pending == students, result

    sampler = RssSampler(sampler_pid[0])
    open_rows = open_messages(wave_id)

    def finished() -> bool:
        with db.session() as session:
            return not session.scalar(select(open_rows))

    CeleryDispatcher(settings).send_wave(wave_id)
    sending = poll_until(finished, 0.02, also=sampler.poll)
    with db.session() as session:
        sent = session.scalar(
            select(func.count()).where(
                Message.wave_id == wave_id, Message.status == MessageStatus.SENT
            )
        )
    assert sent == students, f"{sent} of {students} sent"
    return {
        "planning_s": planning,
        "planning_rate": students / planning,
        "sending_s": sending,
        "sending_rate": students / sending,
        "peak_rss_mb": sampler.peak_child / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--huge", type=int, default=1_000_000, help="0 leaves it out")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument(
        "--caps-cost",
        action="store_true",
        help="send each size without and with the caps and the calendar",
    )
    parser.add_argument("--rounds", type=int, default=3, help="of --caps-cost, per size")
    args = parser.parse_args()
    sizes = [n for n in (args.small, args.students, args.huge) if n]

    queue = f"bench-{secrets.token_hex(3)}"
    with throwaway_database() as db:
        settings = Settings(
            database_url=db.url,
            broker_url=REDIS_URL,
            queue=queue,
            batch_size=args.batch,
            send_parallelism=args.parallelism,
            _env_file=None,  # type: ignore[call-arg]
        )
        noop = measure_noop(settings)
        fresh_redis()
        env = {
            "CAMPAIGNS_DATABASE_URL": db.url,
            "CAMPAIGNS_BROKER_URL": REDIS_URL,
            "CAMPAIGNS_QUEUE": queue,
            "CAMPAIGNS_SMS_ADAPTER": "null",
            "CAMPAIGNS_BATCH_SIZE": str(args.batch),
        }
        with celery_worker("worker", env) as process:
            time.sleep(2)
            results = [run_wave(db, settings, n, [process.pid]) for n in sizes]
        compared: list[tuple[dict[str, float], dict[str, float]]] = []
        if args.caps_cost:
            compared = caps_cost(db, settings, env, sizes, args.rounds)

    print(f"Celery no-op ceiling (2 processes, one task per message): {noop:,.0f} tasks/s")
    for n, result in zip(sizes, results, strict=True):
        print(
            f"wave {n:>9,}: planning {result['planning_rate']:>7,.0f} students/s "
            f"({result['planning_s']:.2f} s), sending {result['sending_rate']:>6,.0f} msg/s "
            f"({result['sending_s']:.2f} s) = {result['sending_rate'] / noop:.1f}x no-op, "
            f"worker peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    largest, n = results[-1], sizes[-1]
    slowest = min(r["sending_rate"] for r in results) / noop
    total = largest["planning_s"] + largest["sending_s"]
    rss_growth = largest["peak_rss_mb"] / results[0]["peak_rss_mb"]
    print()
    print(
        f"planning ≥ 50,000 students/s: {largest['planning_rate']:,.0f} "
        f"{verdict(largest['planning_rate'] >= 50_000)}"
    )
    print(f"sending ≥ 20x no-op at every size: {slowest:.1f}x {verdict(slowest >= 20)}")
    print(f"plan + send {n:,} < 45 s: {total:.1f} s {verdict(total < 45)}")
    print(f"worker RSS {sizes[0]:,} → {n:,}: x{rss_growth:.2f} {verdict(rss_growth < 1.25)}")
    for size, (off, on) in zip(sizes, compared, strict=False):
        ratio = on["sending_rate"] / off["sending_rate"]
        print(
            f"caps + calendar, wave {size:>9,}: sending {on['sending_rate']:,.0f} msg/s with, "
            f"{off['sending_rate']:,.0f} without = {ratio:.2f} {verdict(ratio >= 0.9)}"
        )


RULES_ON = {
    "CAMPAIGNS_FREQUENCY_CAPS": "sms=1/day,3/week; whatsapp=1/day,3/week; email=2/day,5/week",
    "CAMPAIGNS_HOLIDAYS": "TR",
    "CAMPAIGNS_CLOSED_DAYS": "2099-06-15..2099-06-19 Final sınavları; 2099-07-03 Diploma töreni",
}
RULES_OFF = {"CAMPAIGNS_FREQUENCY_CAPS": "", "CAMPAIGNS_HOLIDAYS": "", "CAMPAIGNS_CLOSED_DAYS": ""}


def caps_cost(
    db: Database, settings: Settings, env: dict[str, str], sizes: list[int], rounds: int = 3
) -> list[tuple[dict[str, float], dict[str, float]]]:
    """Each size sent ``rounds`` times by a worker without caps and holidays and by one with
    the defaults (new students each time, so every message takes its slot), in alternating
    order so both see the same machine; the median run of each."""
    compared = []
    for n in sizes:
        runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
        for round_ in range(rounds):
            order = [("off", RULES_OFF), ("on", RULES_ON)]
            for tag, rules in order if round_ % 2 == 0 else reversed(order):
                fresh_redis()
                with celery_worker("worker", {**env, **rules}) as process:
                    time.sleep(2)
                    runs[tag].append(run_wave(db, settings, n, [process.pid], f"{tag}{round_}-"))
        compared.append((_median(runs["off"]), _median(runs["on"])))
    return compared


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return sorted(runs, key=lambda r: r["sending_rate"])[len(runs) // 2]


if __name__ == "__main__":
    main()
