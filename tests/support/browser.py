"""A real browser against the real server: ``campaigns serve`` in a subprocess on a test
database, driven by Playwright through Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from simulator.server import free_port
from tests.support.paths import FIXTURES

CHROMIUM = "/usr/bin/chromium"
AXE = FIXTURES / "axe" / "axe-4.14.1.min.js"


def campaigns_env(database_url: str, workdir: Path, base: str, **extra: str) -> dict[str, str]:
    """The environment of a ``campaigns`` subprocess on ``database_url``, reached at ``base``."""
    env = {
        **os.environ,
        "CAMPAIGNS_DATABASE_URL": database_url,
        "CAMPAIGNS_OUTBOX_DIR": str(workdir / "outbox"),
        "CAMPAIGNS_PUBLIC_URL": base,
        **extra,
    }
    env.pop("CAMPAIGNS_BROKER_URL", None)
    return env


@contextmanager
def _subprocess(
    arguments: list[str], env: dict[str, str], workdir: Path, log_name: str
) -> Iterator[subprocess.Popen[bytes]]:
    log = (workdir / log_name).open("wb")
    command = [sys.executable, "-m", "campaigns", *arguments]
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextmanager
def served(
    database_url: str, workdir: Path, *, port: int | None = None, **extra: str
) -> Iterator[str]:
    """``campaigns serve`` on ``database_url`` until the block ends; yields its base URL.
    ``extra`` variables are added to its environment (provider settings)."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    env = campaigns_env(database_url, workdir, base, **extra)
    arguments = ["serve", "--port", str(port)]
    with _subprocess(arguments, env, workdir, "serve.log") as process:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "serve.log").read_text(errors="replace"))
            time.sleep(0.1)
        yield base


@contextmanager
def scheduling(database_url: str, workdir: Path, base: str, **extra: str) -> Iterator[None]:
    """``campaigns run`` (the scheduler and its sends, in one process) until the block ends."""
    env = campaigns_env(database_url, workdir, base, CAMPAIGNS_TICK_SECONDS="0.5", **extra)
    with _subprocess(["run"], env, workdir, "run.log"):
        yield


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless. Missing is a failure, never a skip: ``make test``
    installs it."""
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


def serious_accessibility_problems(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds on the page that is serious or critical."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate("async () => (await axe.run()).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
