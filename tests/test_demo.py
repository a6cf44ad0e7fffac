"""The embedded demo runs the whole pipeline with no server and its numbers add up."""

from __future__ import annotations

from pathlib import Path

from campaigns.demo import run_demo, synthetic_cohort


def test_the_cohort_is_deterministic_and_invented() -> None:
    first, again = synthetic_cohort(50), synthetic_cohort(50)
    assert first == again
    assert all(
        row["personal_email"].endswith("@example.com") or not row["personal_email"] for row in first
    )


def test_demo_runs_three_waves_and_the_funnel_adds_up(tmp_path: Path) -> None:
    messages: list[str] = []
    result = run_demo(tmp_path, size=60, wave_gap_seconds=1, say=messages.append)

    totals = result.report.totals
    assert result.report.campaign["status"] == "completed"
    assert [row["key"] for row in result.report.rows] == [
        "duyuru-eposta",
        "hatirlatma-sms",
        "hatirlatma-whatsapp",
    ]
    # Every message sent is a file in the outbox.
    files = [p for p in result.outbox.rglob("*") if p.is_file()]
    assert totals["sent"] == len(files) > 0
    # Students registered between waves, and later waves skipped them.
    assert totals["converted"] > 0
    sent_per_wave = [row["sent"] for row in result.report.rows]
    assert sent_per_wave[0] > sent_per_wave[1] > sent_per_wave[2]
    assert result.imported.rejected == 1  # the flawed row without a student number
    assert any("kayıt oldu" in line for line in messages)
