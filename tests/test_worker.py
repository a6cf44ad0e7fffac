"""A worker without a broker stops with a clear message instead of guessing one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT


def test_a_worker_without_a_broker_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CAMPAIGNS_BROKER_URL"}
    completed = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--loglevel", "warning"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0
    assert "CAMPAIGNS_BROKER_URL" in completed.stderr
