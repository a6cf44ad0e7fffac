"""Message texts in the browser: the list says which are edited, the editor renders the
typed text for a sample student (with the SMS counter), saves versions, restores one,
goes back to the file; other roles find nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from campaigns.core.db import Database
from campaigns.core.settings import Settings
from campaigns.delivery import edited_texts
from tests.support.web import ADVISOR, client_as, csrf_of

EDITOR = "/sablonlar/registration_reminder/sms/tr"


def test_a_text_is_tried_saved_restored_and_given_back_to_its_file(
    admin: TestClient, db: Database, settings: Settings
) -> None:
    listed = admin.get("/sablonlar")
    assert f'href="{EDITOR}"' in listed.text
    page = admin.get(EDITOR)
    assert page.status_code == 200
    assert "Kullanılan: dosya." in page.text
    assert "Sayın Ayşe Yılmaz" in page.text  # the file, rendered for the sample student
    token = csrf_of(page.text)

    tried = admin.post(
        f"{EDITOR}/dene", data={"csrf_token": token, "text": "Merhaba {{ first_name|upper_tr }}"}
    )
    assert '<pre class="message-text">Merhaba AYŞE</pre>' in tried.text
    assert "UCS-2" in tried.text
    broken = admin.post(f"{EDITOR}/dene", data={"csrf_token": token, "text": "{{ tc_no }}"})
    assert "tc_no" in broken.text
    assert "message-text" not in broken.text

    for text in ("İlk {{ link }}", "İkinci {{ link }}"):
        saved = admin.post(EDITOR, data={"csrf_token": token, "text": text, "action": "save"})
        assert saved.status_code == 303
    after = admin.get(saved.headers["location"])
    assert "Kaydedildi." in after.text
    assert "Kullanılan: 2. sürüm" in after.text
    refused = admin.post(
        EDITOR, data={"csrf_token": token, "text": "{{ first_name ", "action": "save"}
    )
    assert refused.status_code == 422
    assert "Metin kaydedilmedi" in refused.text
    assert "{{ first_name </textarea>" in refused.text  # what was typed is kept

    admin.post(EDITOR, data={"csrf_token": token, "action": "restore-1", "text": ""})
    with db.session() as session:
        assert (
            edited_texts.current(session, settings, "registration_reminder", "sms", "tr").text
            == "İlk {{ link }}"
        )
    admin.post(EDITOR, data={"csrf_token": token, "action": "file", "text": ""})
    assert "Kullanılan: dosya." in admin.get(EDITOR).text
    assert "dosyaya dönüldü" in admin.get(EDITOR).text


def test_unknown_texts_and_other_roles_find_nothing(admin: TestClient, settings: Settings) -> None:
    assert admin.get("/sablonlar/registration_reminder/sms/de").status_code == 404
    assert admin.get("/sablonlar/yok/sms/tr").status_code == 404
    advisor = client_as(settings, ADVISOR)
    try:
        assert advisor.get("/sablonlar").status_code == 404
        assert advisor.get(EDITOR).status_code == 404
        token = csrf_of(advisor.get("/").text)
        refused = advisor.post(EDITOR, data={"csrf_token": token, "text": "x", "action": "save"})
        assert refused.status_code == 404
    finally:
        advisor.__exit__(None, None, None)
