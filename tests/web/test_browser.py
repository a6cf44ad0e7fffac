"""In a real browser, in Turkish: sign in by the emailed link, read the board, sign out; a
form without its token is refused; pages fit a phone and pass axe-core's serious checks."""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Conversion, ConversionStage, Role, utcnow
from tests.support import factories
from tests.support.browser import chromium, serious_accessibility_problems, served
from tests.support.paths import ROOT

EMAIL = "kemal.isik@universite.example.edu.tr"
SCREENSHOTS = ROOT / "docs" / "screenshots"


def screenshot(page: Page, name: str) -> None:
    """The README's pictures, taken on the way so they stay true: written to
    ``docs/screenshots`` when ``CAMPAIGNS_SCREENSHOTS=1``, and checked to be images always."""
    picture = page.screenshot(full_page=True)
    assert picture.startswith(b"\x89PNG")
    if os.environ.get("CAMPAIGNS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(picture)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def site(pg_db: Database, tmp_path: Path) -> Iterator[str]:
    with pg_db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        cohort = [factories.student() for _ in range(4)]
        session.add_all(cohort)
        session.add_all(
            Conversion(
                student_no=cohort[0].student_no, stage=stage, occurred_at=utcnow(), source="test"
            )
            for stage in ConversionStage
        )
        session.add(factories.student(advisor_email="baska@universite.example.edu.tr"))
    with served(pg_db.url, tmp_path) as base:
        yield base


def emailed_link(workdir: Path) -> str:
    raw = (workdir / "outbox" / "email" / "0.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    match = re.search(r"http://\S+/giris/mbg_\S+", body.get_content())
    assert match is not None
    return match[0]


def test_an_advisor_signs_in_reads_the_board_and_signs_out(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    page = browser.new_page()
    page.goto(site + "/")
    expect(page.get_by_role("heading", name="Giriş yap")).to_be_visible()
    assert serious_accessibility_problems(page) == []

    page.get_by_label("E-posta adresi").fill(EMAIL)
    page.get_by_role("button", name="Bana giriş bağlantısı gönder").click()
    expect(page.get_by_role("heading", name="E-postanızı kontrol edin")).to_be_visible()

    page.goto(emailed_link(tmp_path))
    page.get_by_role("button", name="Giriş yap").click()
    expect(page.get_by_role("heading", name="Mezun olacak öğrenciler")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("2019-2020 Bahar"))
    expect(row.get_by_role("cell").first).to_have_text("4")
    assert serious_accessibility_problems(page) == []
    screenshot(page, "board")

    # One click from the board to the worklist of who has not registered yet.
    page.get_by_role("link", name="Henüz kim kaydolmadı").click()
    expect(page.get_by_role("heading", name="Öğrenciler")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("3 öğrenci")
    expect(page.get_by_label("Kaydoldu")).to_have_value("hayir")
    assert serious_accessibility_problems(page) == []
    screenshot(page, "worklist")
    page.get_by_role("row").nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", name="Kayıt")).to_be_visible()
    expect(page.get_by_text("Henüz Mezun Bilgi Sistemi'ne kaydolmadı.")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    screenshot(page, "student")
    page.go_back()
    page.get_by_label("Numara ya da ad").fill("nobody")
    page.get_by_role("button", name="Göster").click()
    expect(page.get_by_text("Bu süzgeçlere uyan öğrenci yok.")).to_be_visible()

    # A form posted without the session's token (as another site would) is refused.
    forged = page.request.post(site + "/cikis", form={"csrf_token": "forged"})
    assert forged.status == 403
    expect(page.get_by_role("button", name="Çıkış yap")).to_be_visible()

    # At a phone's width nothing needs sideways scrolling.
    page.set_viewport_size({"width": 360, "height": 740})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    page.get_by_role("button", name="Çıkış yap").click()
    expect(page.get_by_role("heading", name="Giriş yap")).to_be_visible()
    page.goto(site + "/")
    expect(page).to_have_url(site + "/giris")


def test_the_pages_switch_to_english(browser: Browser, site: str) -> None:
    page = browser.new_page()
    page.goto(site + "/giris")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Türkçe").click()
    expect(page.get_by_role("heading", name="Giriş yap")).to_be_visible()


def test_the_api_explorer_renders_from_the_apps_own_files(browser: Browser, site: str) -> None:
    page = browser.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site) else elsewhere.append(r.url))
    page.goto(site + "/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("alumni campaigns")
    expect(page.get_by_text("/api/v1/students").first).to_be_visible()
    assert elsewhere == []
