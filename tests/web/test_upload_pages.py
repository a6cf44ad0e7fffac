"""Uploading a list: the check page tells what importing would do (the real counts, every
problem with its row and field, how each column was read) and stores nothing; confirming
imports it with the same code as the command line. Only administrators import."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.core.audit import STUDENTS_IMPORT
from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, Student
from campaigns.core.settings import Settings
from tests.support.web import ADMIN, ADVISOR, client_as, csrf_of

SAMPLE = Path(__file__).parents[1] / "fixtures" / "graduates_sample_tr.csv"


def students(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Student)) or 0


def upload(client: TestClient, data: bytes, name: str = "liste.csv") -> str:
    token = csrf_of(client.get("/yukle").text)
    answer = client.post(
        "/yukle", data={"csrf_token": token}, files={"file": (name, data, "text/csv")}
    )
    assert answer.status_code in (200, 422)
    return answer.text


def test_the_check_page_stores_nothing_then_confirm_imports(
    admin: TestClient, db: Database
) -> None:
    text = SAMPLE.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    # Row 3 loses its student number: it is rejected, the others are not.
    cells = lines[2].split(";")
    lines[2] = ";".join(["", *cells[1:]])
    page = upload(admin, "\n".join(lines).encode())

    assert "Henüz hiçbir şey kaydedilmedi" in page
    assert "<dt>Yeni öğrenciler</dt><dd>49</dd>" in page
    assert "<dt>Reddedilen satırlar</dt><dd>1</dd>" in page
    assert '<td class="num">3</td>' in page  # the problem's row
    assert '<th scope="row">Öğrenci No</th>' in page
    assert "<code>student_no</code>" in page
    assert "15568816" in page  # a sample value of the first row
    assert students(db) == 0

    token = page.split('name="token" value="')[1].split('"')[0]
    done = admin.post("/yukle/onay", data={"csrf_token": csrf_of(page), "token": token})
    assert done.status_code == 200
    assert "49 yeni, 0 güncellendi, 0 değişmedi, 1 reddedildi" in done.text
    assert students(db) == 49
    with db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == STUDENTS_IMPORT)
        ).one()
        assert entry.actor == ADMIN
    # A held file is imported once: the same token again finds nothing.
    again = admin.post("/yukle/onay", data={"csrf_token": csrf_of(page), "token": token})
    assert again.status_code == 422
    assert "Yeniden yükleyin" in again.text


def test_a_file_that_cannot_be_read_says_why(admin: TestClient, db: Database) -> None:
    page = upload(admin, "Ad;Soyad\nAyşe;Yılmaz\n".encode())
    assert "Liste içe aktarılmadı" in page
    assert "student_no" in page
    empty = upload(admin, b"")
    assert "Önce listenin dosyasını" in empty
    assert students(db) == 0


def test_only_administrators_import(settings: Settings, admin: TestClient, db: Database) -> None:
    advisor = client_as(settings, ADVISOR)
    try:
        assert advisor.get("/yukle").status_code == 404
        assert 'href="/yukle"' not in advisor.get("/").text
        token = csrf_of(advisor.get("/").text)
        refused = advisor.post(
            "/yukle",
            data={"csrf_token": token},
            files={"file": ("liste.csv", SAMPLE.read_bytes(), "text/csv")},
        )
        assert refused.status_code == 404
        # Someone else's held file is not theirs to confirm.
        page = upload(admin, SAMPLE.read_bytes())
        held = page.split('name="token" value="')[1].split('"')[0]
        stolen = advisor.post("/yukle/onay", data={"csrf_token": token, "token": held})
        assert stolen.status_code in (404, 422)
        assert students(db) == 0
    finally:
        advisor.__exit__(None, None, None)
