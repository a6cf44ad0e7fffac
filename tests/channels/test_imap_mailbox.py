"""Replies read over IMAP from a real Dovecot: the window by the server's receipt time, the
text of plain and HTML mail, checked attachments, machines' mail left out, the mailbox left
as it was, and every way the server can refuse."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import quote

import pytest

from channels.base import ConfigurationError, TransientError
from channels.imap_mailbox import ImapMailbox
from simulator.server import free_port
from tests.support.imap_server import PASSWORD, Dovecot

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
_users = itertools.count()


@pytest.fixture
def user() -> str:
    return f"mezun{next(_users)}"


def mail(
    text: str = "Merhaba, kayıt olamıyorum.",
    *,
    sender: str = "Ayşe Yılmaz <Ayse.Yilmaz@Example.com>",
    message_id: str = "<r1@example.com>",
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "mezun@universite.edu.tr"
    message["Subject"] = "Re: Mezun Bilgi Sistemi"
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if html is None:
        message.set_content(text)
    else:
        message.set_content(html, subtype="html")
    return message


def read(server: Dovecot, user: str, url: str | None = None) -> ImapMailbox:
    return ImapMailbox.from_url(url or server.url(user))


def test_only_the_window_is_read_and_the_mailbox_stays_as_it_was(
    imap_server: Dovecot, user: str
) -> None:
    for minutes, mid in ((-120, "<old@x>"), (-30, "<in@x>"), (-1, "<late@x>"), (5, "<next@x>")):
        message = mail(f"yanıt {mid}", message_id=mid)
        imap_server.deliver(user, bytes(message), at=NOW + timedelta(minutes=minutes))
    before = imap_server.flags(user)

    replies = read(imap_server, user).read(NOW - timedelta(hours=1), NOW)

    assert [r.provider_message_id for r in replies] == ["<in@x>", "<late@x>"]
    first = replies[0]
    assert (first.provider, first.channel.value) == ("imap", "email")
    assert first.from_address == "ayse.yilmaz@example.com"
    assert first.body == "yanıt <in@x>"
    assert first.keyword is None
    assert imap_server.flags(user) == before
    assert all(b"Seen" not in line for line in before)


def test_a_keyword_on_the_first_line_is_an_opt_out(imap_server: Dovecot, user: str) -> None:
    quoted = "İPTAL\n\n> Sevgili mezun adayımız, kayıt için son gün…"
    imap_server.deliver(user, bytes(mail(quoted)), at=NOW - timedelta(minutes=1))
    (reply,) = read(imap_server, user).read(NOW - timedelta(hours=1), NOW)
    assert reply.keyword == "stop"


def test_an_html_only_email_is_kept_as_its_text(imap_server: Dovecot, user: str) -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>x</title></head><body>"
        "<p>Formu <b>teslim</b> ettim.</p><script>alert(1)</script><div>Teşekkürler</div>"
        "</body></html>"
    )
    imap_server.deliver(user, bytes(mail(html=html)), at=NOW - timedelta(minutes=1))
    (reply,) = read(imap_server, user).read(NOW - timedelta(hours=1), NOW)
    assert reply.body == "Formu teslim ettim.\nTeşekkürler"


def test_attachments_are_checked_by_their_bytes(imap_server: Dovecot, user: str) -> None:
    message = mail("Formum ekte.")
    message.add_attachment(
        b"%PDF-1.7 form", maintype="application", subtype="pdf", filename="f.pdf"
    )
    message.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="pdf", filename="form.pdf.exe"
    )
    imap_server.deliver(user, bytes(message), at=NOW - timedelta(minutes=1))
    (reply,) = read(imap_server, user).read(NOW - timedelta(hours=1), NOW)
    kept, refused = reply.attachments
    assert (kept.filename, kept.content_type, kept.data) == (
        "f.pdf",
        "application/pdf",
        b"%PDF-1.7 form",
    )
    assert (refused.data, refused.refused) == (
        b"",
        "PDF, PNG ya da JPEG değil / not a PDF, PNG or JPEG",
    )


@pytest.mark.parametrize(
    "headers", [{"Auto-Submitted": "auto-replied"}, {"Precedence": "auto_reply"}]
)
def test_mail_written_by_machines_is_not_a_reply(
    imap_server: Dovecot, user: str, headers: dict[str, str]
) -> None:
    out_of_office = mail("Ofis dışındayım.", message_id="<ooo@x>", headers=headers)
    imap_server.deliver(user, bytes(out_of_office), at=NOW - timedelta(minutes=2))
    imap_server.deliver(user, bytes(mail(message_id="<me@x>")), at=NOW - timedelta(minutes=1))
    replies = read(imap_server, user).read(NOW - timedelta(hours=1), NOW)
    assert [r.provider_message_id for r in replies] == ["<me@x>"]


def test_a_mail_too_large_to_fetch_is_a_reply_that_says_so(imap_server: Dovecot, user: str) -> None:
    message = mail("x" * 5000, message_id="<big@x>")
    imap_server.deliver(user, bytes(message), at=NOW - timedelta(minutes=1))
    mailbox = read(imap_server, user)
    mailbox.max_bytes = 1000
    (reply,) = mailbox.read(NOW - timedelta(hours=1), NOW)
    assert (reply.provider_message_id, reply.from_address) == ("<big@x>", "ayse.yilmaz@example.com")
    assert "çok büyük, posta kutusunda okuyun" in reply.body
    assert "xxxx" not in reply.body


def test_another_mailbox_is_named_by_the_path(imap_server: Dovecot, user: str) -> None:
    imap_server.deliver(user, bytes(mail()), at=NOW - timedelta(minutes=1), mailbox="Mezun")
    mailbox = read(imap_server, user, imap_server.url(user, mailbox="Mezun"))
    assert len(mailbox.read(NOW - timedelta(hours=1), NOW)) == 1
    assert read(imap_server, user).read(NOW - timedelta(hours=1), NOW) == []


def test_implicit_tls_trusting_a_cafile(imap_server: Dovecot, user: str) -> None:
    imap_server.deliver(user, bytes(mail()), at=NOW - timedelta(minutes=1))
    cafile = quote(str(imap_server.certificate.cert))
    url = f"imaps://{user}:{PASSWORD}@localhost:{imap_server.tls_port}/INBOX?cafile={cafile}"
    assert len(read(imap_server, user, url).read(NOW - timedelta(hours=1), NOW)) == 1
    unchecked = f"imaps://{user}:{PASSWORD}@localhost:{imap_server.tls_port}?verify=off"
    assert len(read(imap_server, user, unchecked).read(NOW - timedelta(hours=1), NOW)) == 1


def test_an_untrusted_certificate_is_a_configuration_error(imap_server: Dovecot, user: str) -> None:
    url = f"imaps://{user}:{PASSWORD}@localhost:{imap_server.tls_port}"
    with pytest.raises(ConfigurationError, match="certificate"):
        read(imap_server, user, url).read(NOW - timedelta(hours=1), NOW)


def test_a_refused_login_or_mailbox_is_a_configuration_error(
    imap_server: Dovecot, user: str
) -> None:
    wrong = imap_server.url(user).replace(f":{PASSWORD}@", ":yanlis@")
    with pytest.raises(ConfigurationError, match="login refused"):
        read(imap_server, user, wrong).read(NOW - timedelta(hours=1), NOW)
    missing = imap_server.url(user, mailbox="Yok")
    with pytest.raises(ConfigurationError, match="cannot be opened"):
        read(imap_server, user, missing).read(NOW - timedelta(hours=1), NOW)


def test_a_server_that_cannot_be_reached_is_transient() -> None:
    port = free_port()  # nothing listens there
    mailbox = ImapMailbox.from_url(f"imap://u:p@127.0.0.1:{port}?starttls=off", timeout=2)
    with pytest.raises(TransientError, match="unreachable"):
        mailbox.read(NOW - timedelta(hours=1), NOW)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("pop3://u:p@host", "imap:// or imaps://"),
        ("imaps://host", "user@host"),
        ("imap://u:p@host?tls=on", "unknown options: tls"),
        ("imaps://u:p@host?starttls=off", "imap:// only"),
        ("imap://u:p@host?verify=maybe", "on or off"),
        ("imap://u:p@host:99999", "invalid port"),
    ],
)
def test_a_wrong_url_names_its_problem(url: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        ImapMailbox.from_url(url)


def test_user_and_password_are_percent_decoded() -> None:
    mailbox = ImapMailbox.from_url(
        "imaps://mezun%40uni.edu.tr:p%40ss@mail.uni.edu.tr/Gelen%20Kutusu"
    )
    assert (mailbox.username, mailbox.password, mailbox.mailbox, mailbox.port) == (
        "mezun@uni.edu.tr",
        "p@ss",
        "Gelen Kutusu",
        993,
    )
