"""Signing in through the pages: ask for a link, open it, press the button, see the board,
sign out; every form refuses a request without its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, Role, SignInAttempt
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from campaigns.web.sessions import FORM_COOKIE, SESSION_COOKIE
from tests.support import factories, web
from tests.support.web import csrf_of, link_in, sign_in_through_pages

EMAIL = "kemal.isik@universite.example.edu.tr"


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        session.add_all([factories.student() for _ in range(3)])
        session.add(factories.student(advisor_email="baska@universite.example.edu.tr"))
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def signed_in(client: TestClient, settings: Settings) -> str:
    return sign_in_through_pages(client, settings.outbox_dir, EMAIL)


def last_email(settings: Settings) -> EmailMessage:
    return web.last_email(settings.outbox_dir)


def test_sign_in_by_link_then_the_board_then_sign_out(
    client: TestClient, settings: Settings
) -> None:
    assert client.get("/").headers["location"] == "/giris"

    board = signed_in(client, settings)

    cookie = next(c for c in client.cookies.jar if c.name == SESSION_COOKIE)
    assert cookie.secure
    assert cookie.has_nonstandard_attr("HttpOnly")
    # In Turkish, the advisor's own three students only (not the other advisor's).
    assert '<html lang="tr">' in board
    assert "Mezun olacak öğrenciler" in board
    assert re.search(
        r'<th scope="row">2019-2020 Bahar</th>\s*<td class="num"><a href="[^"]+">3</a></td>', board
    )
    assert "Çıkış yap" in board

    # Signing out needs the session's CSRF token; then the cookie opens nothing.
    refused = client.post("/cikis", data={})
    assert refused.status_code == 403
    assert "Formun süresi doldu" in refused.text
    assert client.get("/").status_code == 200
    out = client.post("/cikis", data={"csrf_token": csrf_of(board)})
    assert (out.status_code, out.headers["location"]) == (303, "/giris")
    assert client.get("/").headers["location"] == "/giris"


def test_a_link_works_once_and_a_scanner_opening_it_uses_nothing(
    client: TestClient, settings: Settings
) -> None:
    form = client.get("/giris")
    client.post("/giris", data={"email": EMAIL, "csrf_token": csrf_of(form.text)})
    token = link_in(last_email(settings))
    # Opening the link (as a mail scanner would) only shows the button.
    for _ in range(2):
        assert client.get(f"/giris/{token}").status_code == 200
    confirm = client.get(f"/giris/{token}")
    first = client.post(f"/giris/{token}", data={"csrf_token": csrf_of(confirm.text)})
    again = client.post(f"/giris/{token}", data={"csrf_token": csrf_of(confirm.text)})
    assert first.status_code == 303
    assert again.status_code == 400
    assert "Yeni bir bağlantı isteyin" in again.text


def test_forms_without_their_token_are_refused_and_do_nothing(
    client: TestClient, db: Database, settings: Settings
) -> None:
    client.get("/giris")
    refused = client.post("/giris", data={"email": EMAIL, "csrf_token": "forged"})
    without_cookie = TestClient(client.app, base_url="https://testserver").post(
        "/giris", data={"email": EMAIL, "csrf_token": client.cookies[FORM_COOKIE]}
    )
    assert refused.status_code == without_cookie.status_code == 403
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SignInAttempt)) == 0
    assert not (settings.outbox_dir / "email" / "0.eml").exists()


def test_an_unknown_address_gets_the_same_page_and_no_email(
    client: TestClient, db: Database, settings: Settings
) -> None:
    form = client.get("/giris")
    known = client.post("/giris", data={"email": EMAIL, "csrf_token": csrf_of(form.text)})
    (settings.outbox_dir / "email" / "0.eml").unlink()
    unknown = client.post(
        "/giris", data={"email": "kimse@example.edu.tr", "csrf_token": csrf_of(form.text)}
    )
    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text
    assert not (settings.outbox_dir / "email" / "0.eml").exists()
    with db.session() as session:
        actions = list(session.scalars(select(AuditEntry.action)))
    assert "sign_in.unknown_address" in actions


def test_too_many_requests_are_refused_with_a_page(client: TestClient, settings: Settings) -> None:
    form = client.get("/giris")
    answers = [
        client.post("/giris", data={"email": EMAIL, "csrf_token": csrf_of(form.text)}).status_code
        for _ in range(settings.sign_in_requests_per_address + 1)
    ]
    assert answers[-1] == 429
    assert set(answers[:-1]) == {200}


def test_the_language_switch_stays_on_this_site(client: TestClient) -> None:
    english = client.get("/dil/en?sonra=/giris")
    assert english.headers["location"] == "/giris"
    page = client.get("/giris")
    assert '<html lang="en">' in page.text
    assert "Send me a sign-in link" in page.text
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example", "giris"):
        assert client.get("/dil/tr", params={"sonra": target}).headers["location"] == "/"


def test_pages_load_nothing_from_other_sites(client: TestClient) -> None:
    # The pages and the API's explorer: campuses run this on internal networks.
    for path in ("/giris", "/api/v1/docs"):
        page = client.get(path).text
        sources = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page)
        assert sources, path
        assert all(s.startswith(("/", "#")) for s in sources), (path, sources)
        for source in sources:
            if source.startswith("/static/"):
                assert client.get(source).status_code == 200, source
