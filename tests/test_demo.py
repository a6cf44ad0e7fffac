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
    # Every message sent was accepted by a (simulated) provider exactly once, and delivery
    # callbacks came back through the signed webhooks.
    assert totals["sent"] == result.accepted_by_providers > 0
    assert totals["delivered"] > 0
    assert result.callbacks > 0
    # Students followed their tracked links, registered through the signed webhook, and the
    # registrations were credited to the messages that preceded them.
    assert totals["clicked"] > 0
    assert totals["attributed"] == totals["converted"]
    # Students registered between waves, and later waves skipped them.
    assert totals["converted"] > 0
    sent_per_wave = [row["sent"] for row in result.report.rows]
    assert sent_per_wave[0] > sent_per_wave[1] > sent_per_wave[2]
    assert result.imported.rejected == 1  # the flawed row without a student number
    assert any("kaydoldu" in line for line in messages)
