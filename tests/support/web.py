"""Signing in to the web app the way a person does, for tests of its pages."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient

from campaigns.core.settings import Settings
from campaigns.http.app import create_app

ADMIN = "mezun.ofisi@universite.example.edu.tr"
ADVISOR = "kemal.isik@universite.example.edu.tr"
LINK = re.compile(r"https?://[^/\s]+/giris/(mbg_[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None
    return match[1]


def last_email(outbox: Path) -> EmailMessage:
    """The newest email the ``outbox`` adapter wrote."""
    newest = max((outbox / "email").glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    raw = newest.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def link_in(message: EmailMessage) -> str:
    """The sign-in token of the link in an email."""
    body = message.get_body(("plain",))
    assert body is not None
    match = LINK.search(body.get_content())
    assert match is not None
    return match[1]


def sign_in_through_pages(client: TestClient, outbox: Path, address: str) -> str:
    """Ask for a link, open it, press the button; the start page's HTML (the desk's start
    page is its own)."""
    form = client.get("/giris")
    asked = client.post("/giris", data={"email": address, "csrf_token": csrf_of(form.text)})
    assert asked.status_code == 200
    token = link_in(last_email(outbox))
    confirm = client.get(f"/giris/{token}")
    done = client.post(f"/giris/{token}", data={"csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    board = client.get("/", follow_redirects=True)
    assert board.status_code == 200
    return board.text


def client_as(settings: Settings, address: str) -> TestClient:
    """A browser-like client of a new app, signed in as ``address`` (close it when done)."""
    client = TestClient(create_app(settings), base_url="https://testserver", follow_redirects=False)
    client.__enter__()
    sign_in_through_pages(client, settings.outbox_dir, address)
    return client
