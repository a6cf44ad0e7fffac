"""Real Celery worker processes for tests that kill or outlive them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]


def spawn_worker(
    env: dict[str, str],
    cwd: Path,
    *,
    hostname: str | None = None,
    output: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """One prefork worker with one child, in a process group of its own (so a test can kill
    the whole group), importing the project from the repository."""
    command = [sys.executable, "-m", "celery", "-A", "worker", "worker"]
    command += ["--pool", "prefork", "--concurrency", "1"]
    if hostname is not None:
        command += ["--hostname", hostname]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    command += ["--loglevel", "warning"]
    return subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
    )
