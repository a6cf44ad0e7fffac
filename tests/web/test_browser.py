"""In a real browser, in Turkish: sign in by the emailed link, read the board, sign out; a
form without its token is refused; pages fit a phone and pass axe-core's serious checks."""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Conversion, ConversionStage, Role, utcnow
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.demo.stage import provider_env
from campaigns.planning.plan_wave import plan_wave
from campaigns.web.preview_pages import wave_path
from channels.base import Channel
from simulator.core import SimulatorConfig
from simulator.server import free_port, simulator_in_background
from tests.support import factories
from tests.support.adapters import RecordingAdapter
from tests.support.api import DEFINITION
from tests.support.browser import chromium, scheduling, serious_accessibility_problems, served
from tests.support.http import sent_tokens
from tests.support.paths import ROOT

EMAIL = "kemal.isik@universite.example.edu.tr"
DESK = "ogrenci.isleri@universite.example.edu.tr"
THEIRS = "30000009"
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
        users.add_user(session, Actor.operator(), email=DESK, role=Role.DESK)
        cohort = [factories.student(student_no=f"3000000{i}") for i in range(4)]
        session.add_all(cohort)
        # A wave went out three weeks ago; a student registered days later and handed in
        # the form the week after: the board's trend.
        started = utcnow() - timedelta(days=21)
        campaign = factories.campaign(session, [{}], now=started)
        campaign.scope_advisor = EMAIL
        campaign.waves[0].planned_at = started
        session.add_all(
            Conversion(student_no=cohort[0].student_no, stage=stage, occurred_at=at, source="test")
            for stage, at in (
                (ConversionStage.REGISTERED, started + timedelta(days=2)),
                (ConversionStage.FORM_SUBMITTED, started + timedelta(days=9)),
            )
        )
        session.add(
            factories.student(student_no=THEIRS, advisor_email="baska@universite.example.edu.tr")
        )
    with served(pg_db.url, tmp_path) as base:
        yield base


@pytest.fixture
def live_site(pg_db: Database, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The site with a scheduler sending through the real SDKs to the provider simulator,
    which calls the site's webhooks back: reports fill as in production."""
    with pg_db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        session.add_all([factories.student() for _ in range(4)])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = SimulatorConfig(callback_delay=0.05, undelivered_rate=0.0, read_rate=0.0)
    config.sendgrid_event_url = f"{base}/webhooks/sendgrid/events"
    with simulator_in_background(config) as simulator:
        env = {
            **provider_env(config, simulator.url),
            "CAMPAIGNS_EMAIL_ADAPTER": "sendgrid",
            "CAMPAIGNS_SMS_ADAPTER": "twilio-sms",
        }
        with (
            served(pg_db.url, tmp_path, port=port, **env),
            scheduling(pg_db.url, tmp_path, base, **env),
        ):
            yield base, simulator.url


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
    page = browser.new_page(locale="tr-TR")
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
    expect(page.get_by_role("img", name=re.compile("hafta hafta"))).to_be_visible()
    assert serious_accessibility_problems(page) == []
    screenshot(page, "board")

    # One click from the board to the worklist of who has not registered yet.
    page.get_by_role("link", name="Henüz kim kaydolmadı").click()
    expect(page.get_by_role("heading", name="Öğrenciler")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("3 öğrenci")
    expect(page.get_by_label("Kaydoldu")).to_have_value("hayir")
    # ... of one department (typed without Turkish letters).
    page.get_by_label("Bölüm").fill("bilgisayar muhendisligi")
    page.get_by_role("button", name="Göster").click()
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

    # Another advisor's student is not there at all.
    missing = page.goto(f"{site}/ogrenciler/{THEIRS}")
    assert missing is not None
    assert missing.status == 404
    expect(page.get_by_role("heading", name="Öğrenci bulunamadı")).to_be_visible()
    page.go_back()

    fits_a_phone(page)

    page.get_by_role("button", name="Çıkış yap").click()
    expect(page.get_by_role("heading", name="Giriş yap")).to_be_visible()
    page.goto(site + "/")
    expect(page).to_have_url(site + "/giris")


WIDER_THAN_THE_SCREEN = """
[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
    && !e.closest('.table-wrap'))
  .slice(0, 8)
  .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + e.getBoundingClientRect().right)
"""


def fits_a_phone(page: Page) -> None:
    """At a phone's width nothing on the page needs sideways scrolling (tables scroll in
    their own box)."""
    size = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 740})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(WIDER_THAN_THE_SCREEN) if overflow > 0 else []
    assert overflow <= 0, (page.url, wide)
    if size is not None:
        page.set_viewport_size(size)


def signed_in_by_outbox(browser: Browser, site: str, workdir: Path, address: str) -> Page:
    """A new browser signed in as ``address`` by the link the outbox adapter wrote."""
    page = browser.new_page(locale="tr-TR")
    page.goto(site + "/giris")
    page.get_by_label("E-posta adresi").fill(address)
    page.get_by_role("button", name="Bana giriş bağlantısı gönder").click()
    expect(page.get_by_role("heading", name="E-postanızı kontrol edin")).to_be_visible()
    page.goto(emailed_link(workdir))
    page.get_by_role("button", name="Giriş yap").click()
    return page


def test_the_desk_records_a_membership_form(browser: Browser, site: str, tmp_path: Path) -> None:
    page = signed_in_by_outbox(browser, site, tmp_path, DESK)
    expect(page.get_by_role("heading", name="Üyelik formları")).to_be_visible()
    page.get_by_label("Öğrenci no").fill("30000001")
    page.get_by_role("button", name="Bul").click()
    page.get_by_role("button", name="Üyelik formunu teslim alındı olarak kaydet").click()
    expect(page.get_by_text("Üyelik formu teslim alındı:")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    fits_a_phone(page)


def advisor_and_coordinator(db: Database) -> str:
    """The advisor ``EMAIL`` and the engineering faculty's coordinator, whose address this
    returns."""
    coordinator = "muh.koordinator@universite.example.edu.tr"
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        users.add_user(
            session,
            Actor.operator(),
            email=coordinator,
            role=Role.COORDINATOR,
            faculty="Mühendislik Fakültesi",
        )
    return coordinator


def test_a_coordinator_approves_an_advisors_campaign(
    browser: Browser, pg_db: Database, tmp_path: Path
) -> None:
    coordinator = advisor_and_coordinator(pg_db)
    with pg_db.session() as session:
        session.add_all([factories.student(first_name="Işıl"), factories.student()])
    settings = Settings(database_url=pg_db.url, _env_file=None)  # type: ignore[call-arg]
    with pg_db.session() as session:
        advisor = Actor(EMAIL, Role.ADVISOR, email=EMAIL)
        campaign_id = drafts.create(session, advisor, DEFINITION, settings=settings).id
    with served(pg_db.url, tmp_path, CAMPAIGNS_APPROVAL_REQUIRED="*") as site:
        mine = signed_in_by_outbox(browser, site, tmp_path, EMAIL)
        mine.goto(f"{site}/kampanyalar/{campaign_id}")
        mine.get_by_role("button", name="Onaya gönder").click()
        expect(mine.get_by_text("onay bekliyor", exact=False)).to_be_visible()

        theirs = signed_in_by_outbox(browser, site, tmp_path, coordinator)
        theirs.get_by_role("link", name="Onayımı bekleyenler").click()
        theirs.get_by_role("link", name=DEFINITION["name"]).click()
        expect(theirs.get_by_role("heading", name="Kararınız")).to_be_visible()
        expect(theirs.get_by_text("Işıl").first).to_be_visible()
        assert serious_accessibility_problems(theirs) == []
        fits_a_phone(theirs)
        screenshot(theirs, "approval")
        theirs.get_by_role("button", name="Onayla").click()
        expect(theirs.get_by_text(f"{coordinator} onayladı", exact=False)).to_be_visible()

        mine.reload()
        mine.get_by_role("link", name="Denetle ve başlat").click()
        expect(mine.get_by_role("button", name="Kampanyayı başlat")).to_be_visible()


def test_a_coordinator_closes_a_facultys_day_and_the_launch_says_the_wave_waits(
    browser: Browser, pg_db: Database, tmp_path: Path
) -> None:
    coordinator = advisor_and_coordinator(pg_db)
    with pg_db.session() as session:
        session.add_all([factories.student(), factories.student()])
    settings = Settings(database_url=pg_db.url, _env_file=None)  # type: ignore[call-arg]
    with pg_db.session() as session:
        advisor = Actor(EMAIL, Role.ADVISOR, email=EMAIL)
        campaign_id = drafts.create(session, advisor, DEFINITION, settings=settings).id
    today = utcnow().astimezone(settings.zone).date()
    with served(pg_db.url, tmp_path, CAMPAIGNS_HOLIDAYS="TR") as site:
        theirs = signed_in_by_outbox(browser, site, tmp_path, coordinator)
        theirs.get_by_role("link", name="Takvim").click()
        expect(theirs.get_by_text("resmî tatil").first).to_be_visible()
        theirs.get_by_label("İlk gün").fill((today + timedelta(days=2)).isoformat())
        theirs.get_by_label("Son gün (boşsa tek gün)").fill(today.isoformat())
        theirs.get_by_label("Neden (gönderim tahmininde okunur)").fill("Fakülte kurulu")
        theirs.get_by_role("button", name="Bu günleri kapat").click()
        last_day = theirs.get_by_label("Son gün (boşsa tek gün)")
        expect(last_day).to_have_attribute("aria-invalid", "true")
        expect(theirs.get_by_text("başlangıç gününden önce", exact=False)).to_be_visible()
        theirs.get_by_label("İlk gün").fill(today.isoformat())
        last_day.fill("")
        theirs.get_by_role("button", name="Bu günleri kapat").click()
        row = theirs.get_by_role("row").filter(has_text="Fakülte kurulu")
        expect(row).to_contain_text("Mühendislik Fakültesi")
        expect(row.get_by_role("button", name="Yeniden aç")).to_be_visible()
        assert serious_accessibility_problems(theirs) == []
        fits_a_phone(theirs)
        screenshot(theirs, "calendar")

        mine = signed_in_by_outbox(browser, site, tmp_path, EMAIL)
        mine.goto(f"{site}/takvim")
        expect(mine.get_by_role("row").filter(has_text="Fakülte kurulu")).to_be_visible()
        expect(mine.get_by_role("button", name="Yeniden aç")).to_have_count(0)
        expect(mine.get_by_role("heading", name="Günleri kapat")).to_have_count(0)
        mine.goto(f"{site}/kampanyalar/{campaign_id}/baslat")
        expect(mine.get_by_text("bekler: kapalı gün, Fakülte kurulu").first).to_be_visible()
        mine.goto(f"{site}{wave_path(campaign_id, 'duyuru')}")
        expect(mine.get_by_text("Şimdi başlatılırsa ilk mesaj gider")).to_contain_text(
            "bekler: kapalı gün, Fakülte kurulu"
        )


def test_a_commercial_campaign_without_link_tracking_is_built_and_says_so(
    browser: Browser, pg_db: Database, tmp_path: Path
) -> None:
    [token] = sent_tokens(pg_db, 1).values()
    with pg_db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        session.add_all([factories.student(commercial_consent=True), factories.student()])
    notice = "Verileriniz yalnız mezun kaydı hatırlatması için işlenir."
    with served(pg_db.url, tmp_path, CAMPAIGNS_PRIVACY_NOTICE=notice) as site:
        page = signed_in_by_outbox(browser, site, tmp_path, EMAIL)
        page.goto(f"{site}/kampanyalar/yeni")
        page.get_by_label("Kampanyanın adı").fill("Mezun kartı indirimi")
        page.get_by_label("2019-2020 Bahar").check()
        page.get_by_label("Kayıt sayfası (mesajlardaki bağlantı)").fill(
            "https://mezun.universite.example.edu.tr/kart"
        )
        page.get_by_label("İleti türü").select_option("commercial")
        page.get_by_label("Kayıt bağlantısına tıklamaları say", exact=False).uncheck()
        page.get_by_label("Dalganın adı").fill("duyuru")
        page.get_by_label("Başlatmadan sonra").fill("0s")
        page.get_by_label("İlk kanal").select_option("sms")
        page.get_by_label("Mesaj şablonu").select_option("registration_reminder")
        page.get_by_role("button", name="Taslak olarak kaydet").click()
        expect(page.get_by_role("heading", name="Mezun kartı indirimi")).to_be_visible()
        facts = page.locator(".facts")
        expect(facts).to_contain_text("Ticari (yalnız İYS onayı olanlara)")
        expect(facts).to_contain_text("ölçülmüyor")
        expect(page.get_by_text("Tıklamalar ölçülmüyor", exact=False)).to_be_visible()
        assert serious_accessibility_problems(page) == []

        # What a student sees after following the unsubscribe link of an e-mail.
        student = browser.new_page(locale="tr-TR")
        student.goto(f"{site}/u/{token}")
        expect(student.get_by_role("heading", name="KVKK aydınlatma metni")).to_be_visible()
        expect(student.get_by_text(notice)).to_be_visible()
        assert serious_accessibility_problems(student) == []
        fits_a_phone(student)


def test_the_office_takes_the_quality_evidence_as_a_printable_page(
    browser: Browser, pg_db: Database, tmp_path: Path
) -> None:
    office = "mezun.ofisi@universite.example.edu.tr"
    sent_tokens(pg_db, 3)
    with pg_db.session() as session:
        users.add_user(session, Actor.operator(), email=office, role=Role.ADMIN)
    with served(pg_db.url, tmp_path) as site:
        page = signed_in_by_outbox(browser, site, tmp_path, office)
        page.get_by_role("link", name="Kalite kanıtı").click()
        page.get_by_label("Mezuniyet dönemi").select_option("2019-2020 Bahar")
        page.get_by_role("button", name="Kanıtı göster").click()
        total = page.get_by_role("row", name=re.compile("^Toplam"))
        expect(total.get_by_role("cell").first).to_have_text("3")  # graduating
        expect(total.get_by_role("cell").nth(3)).to_have_text("3 / 0 / 0")  # reminders
        assert serious_accessibility_problems(page) == []
        fits_a_phone(page)
        screenshot(page, "evidence")
        with page.context.expect_page() as opened:
            page.get_by_role("link", name="Yazdırılabilir sayfa (PDF olarak kaydedin)").click()
        printable = opened.value
        expect(printable.get_by_role("heading", level=1)).to_contain_text(
            "Mezun takibi kanıtı: 2019-2020 Bahar"
        )
        assert serious_accessibility_problems(printable) == []
        # What the browser's "save as PDF" makes of it: a real PDF, A4 landscape.
        pdf = printable.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        assert b"/MediaBox [0 0 841.91998 595.91998]" in pdf or b"841.9" in pdf


def test_the_report_says_how_many_messages_the_caps_held(
    browser: Browser, pg_db: Database, tmp_path: Path
) -> None:
    with pg_db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        session.add_all([factories.student() for _ in range(4)])
    settings = Settings(
        database_url=pg_db.url,
        frequency_caps="sms=1/day",
        cap_wait_hours=1,
        _env_file=None,  # type: ignore[call-arg]
    )
    # Another unit's campaign reached the students by SMS today; this one comes after. At
    # noon in Istanbul, so that the next day's slot is beyond the hour a message may wait.
    noon = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    for name in ("Fen Fakültesi duyurusu", "Bahar hatırlatması"):
        with pg_db.session() as session:
            campaign = factories.campaign(session, [{"channels": ["sms"]}], now=noon)
            campaign.name, campaign.scope_advisor = name, EMAIL
            wave_id = campaign.waves[0].id
        with pg_db.session() as session:
            plan_wave(session, wave_id, now=noon)
        adapter = RecordingAdapter()
        pool = AdapterPool(settings, dict.fromkeys(Channel, adapter))
        WaveSender(pg_db, settings, pool).send_batch(wave_id, now=noon)
    assert len(adapter.sent) == 0  # the second campaign's SMS were all held
    with served(pg_db.url, tmp_path) as site:
        page = signed_in_by_outbox(browser, site, tmp_path, EMAIL)
        page.get_by_role("link", name="Kampanyalar", exact=True).click()
        page.get_by_role("link", name="Bahar hatırlatması").click()
        header = page.get_by_role("columnheader", name="Sıklık sınırında kalan")
        expect(header).to_be_visible()
        total = page.get_by_role("row", name=re.compile("^Toplam"))
        expect(total.get_by_role("cell").nth(4)).to_have_text("4")
        assert serious_accessibility_problems(page) == []


def test_the_pages_switch_to_english(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="tr-TR")
    page.goto(site + "/giris")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Türkçe").click()
    expect(page.get_by_role("heading", name="Giriş yap")).to_be_visible()


def test_the_api_explorer_renders_from_the_apps_own_files(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="tr-TR")
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site) else elsewhere.append(r.url))
    page.goto(site + "/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("alumni campaigns")
    expect(page.get_by_text("/api/v1/students").first).to_be_visible()
    assert elsewhere == []


def signed_in(browser: Browser, site: str, simulator: str) -> Page:
    """Signed in by the link SendGrid (the simulator) was asked to deliver."""
    page = browser.new_page(locale="tr-TR")
    page.goto(site + "/giris")
    page.get_by_label("E-posta adresi").fill(EMAIL)
    page.get_by_role("button", name="Bana giriş bağlantısı gönder").click()
    expect(page.get_by_role("heading", name="E-postanızı kontrol edin")).to_be_visible()
    sent = httpx.get(f"{simulator}/_simulator/sendgrid/last").text
    link = re.search(r"http://127\.0\.0\.1:\d+/giris/mbg_[A-Za-z0-9_-]+", sent)
    assert link is not None
    page.goto(link[0])
    page.get_by_role("button", name="Giriş yap").click()
    expect(page.get_by_role("heading", name="Mezun olacak öğrenciler")).to_be_visible()
    return page


def test_a_campaign_is_built_previewed_tested_launched_and_reported(
    browser: Browser, live_site: tuple[str, str]
) -> None:
    page = signed_in(browser, *live_site)
    page.get_by_role("link", name="Kampanyalar", exact=True).click()
    page.get_by_role("link", name="Yeni kampanya").click()
    expect(page.get_by_role("heading", name="Yeni kampanya")).to_be_visible()

    page.get_by_label("Kampanyanın adı").fill("Bahar mezunları hatırlatması")
    # The audience is counted as it is chosen (htmx), within the advisor's students.
    page.get_by_label("2019-2020 Bahar").check()
    expect(page.locator("#audience-count")).to_have_text("4 öğrenci")
    # Midnight to midnight: at any time of day (the test may run at night).
    page.get_by_label("Mesajlar şu saatten").fill("00:00")
    page.get_by_label("şu saate kadar gönderilebilir").fill("00:00")
    page.get_by_label("Kayıt sayfası (mesajlardaki bağlantı)").fill(
        "https://mezun.universite.example.edu.tr/kayit"
    )
    page.get_by_label("Dalganın adı").fill("hatirlatma")
    page.get_by_label("Başlatmadan sonra").fill("0s")
    page.get_by_label("İlk kanal").select_option("sms")
    page.get_by_label("ulaşılamazsa").first.select_option("email")
    page.get_by_label("Mesaj şablonu").select_option("registration_reminder")
    assert serious_accessibility_problems(page) == []
    fits_a_phone(page)
    screenshot(page, "builder")
    page.get_by_role("button", name="Taslak olarak kaydet").click()

    expect(page.get_by_role("heading", name="Bahar mezunları hatırlatması")).to_be_visible()
    expect(page.locator(".status")).to_have_text("taslak")
    page.get_by_role("link", name="Önizle ve dene").click()
    expect(page.get_by_role("heading", name="Önizleme: hatirlatma")).to_be_visible()
    # The SMS counter recounts as a wording is typed.
    page.get_by_label("Metin", exact=True).fill("Kayıt için son gün yarın: ğüşıöç")
    expect(page.locator("#try-count")).to_contain_text("UCS-2 · 32 karakter · 1 SMS")
    page.get_by_label("Metin", exact=True).fill("a" * 161)
    expect(page.locator("#try-count")).to_contain_text("GSM-7 · 161 karakter · 2 SMS")
    assert serious_accessibility_problems(page) == []
    fits_a_phone(page)
    screenshot(page, "preview")
    page.get_by_role("region", name="E-posta").get_by_role(
        "button", name="Bana deneme gönder"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Deneme mesajı kendi adresinize")

    page.get_by_role("link", name="Kampanyaya dön").click()
    page.get_by_role("link", name="Denetle ve başlat").click()
    expect(page.get_by_role("heading", name="Denetimler")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Kampanyayı başlat").click()
    expect(page.locator(".status")).to_have_text("gönderiliyor")
    # The report fills by itself as the scheduler sends and the provider calls back.
    expect(page.locator("#campaign")).to_have_attribute("hx-trigger", "every 5s")
    funnel = page.get_by_role("row", name=re.compile("^Toplam"))
    expect(funnel.get_by_role("cell").nth(1)).to_have_text("4", timeout=30_000)  # sent
    expect(funnel.get_by_role("cell").nth(2)).to_have_text("4", timeout=30_000)  # delivered
    assert serious_accessibility_problems(page) == []
    fits_a_phone(page)
    screenshot(page, "report")
    # Its one wave done, the campaign completes (the page shows it without a reload): no
    # action is left, and the page stops asking.
    expect(page.locator(".status")).to_have_text("tamamlandı", timeout=30_000)
    expect(page.locator("#campaign")).not_to_have_attribute("hx-trigger", "every 5s")
    expect(page.get_by_role("button", name="Duraklat")).to_have_count(0)
