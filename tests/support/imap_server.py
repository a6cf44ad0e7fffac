"""A throwaway Dovecot IMAP server (Debian's ``dovecot-imapd``, installed by ``make test``):
its own configuration, sockets, logs and maildirs under a temporary directory, listening on
free ports of 127.0.0.1 (plain with STARTTLS, and implicit TLS) with a self-signed
certificate. Every account exists with the password ``secret``: a test takes a user name of
its own and gets an empty mailbox."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from simulator.server import free_port
from tests.support.tls import Certificate, self_signed

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "secret"
DH = Path("/usr/share/dovecot/dh.pem")


@dataclass(frozen=True)
class Dovecot:
    plain_port: int
    tls_port: int
    certificate: Certificate
    log: Path

    def url(self, user: str, *, mailbox: str = "INBOX") -> str:
        """An ``imap://`` URL over STARTTLS trusting the server's certificate."""
        return (
            f"imap://{user}:{PASSWORD}@localhost:{self.plain_port}/{mailbox}"
            f"?cafile={self.certificate.cert}"
        )

    def deliver(self, user: str, raw: bytes, *, at: datetime, mailbox: str = "INBOX") -> None:
        """Put a message in ``user``'s mailbox as received at ``at`` (IMAP APPEND)."""
        with imaplib.IMAP4("127.0.0.1", self.plain_port, timeout=10) as imap:
            imap.login(user, PASSWORD)
            if mailbox != "INBOX":
                imap.create(mailbox)
            status, answer = imap.append(mailbox, "", imaplib.Time2Internaldate(at), raw)
            assert status == "OK", answer

    def flags(self, user: str) -> list[bytes]:
        """Every message's flags, to show that reading left the mailbox as it was."""
        with imaplib.IMAP4("127.0.0.1", self.plain_port, timeout=10) as imap:
            imap.login(user, PASSWORD)
            imap.select("INBOX", readonly=True)
            _, data = imap.fetch("1:*", "(FLAGS)")
            return [item for item in data if isinstance(item, bytes)]


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not start listening within 30 s")


@contextmanager
def dovecot() -> Iterator[Dovecot]:
    """Start a Dovecot of its own; fail (never skip) when it is not installed."""
    if not os.path.exists(DOVECOT):
        raise RuntimeError(f"{DOVECOT} is missing: `make test` installs dovecot-imapd")
    # Dovecot's unprivileged processes must reach the maildirs: not under pytest's 0700 tmp.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    root.chmod(0o755)
    try:
        certificate = self_signed(root)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("nobody")
            internal, login = "dovecot", "dovenull"
        else:
            owner = pwd.getpwuid(os.geteuid())
            internal = login = owner.pw_name
        mail = root / "mail"
        mail.mkdir()
        os.chown(mail, owner.pw_uid, owner.pw_gid)
        plain, tls = free_port(), free_port()
        log = root / "dovecot.log"
        config = root / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {log}
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
ssl = yes
ssl_cert = <{certificate.cert}
ssl_key = <{certificate.key}
{f"ssl_dh = <{DH}" if DH.exists() else ""}
mail_location = maildir:{mail}/%u
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {plain}
  }}
  inet_listener imaps {{
    port = {tls}
    ssl = yes
  }}
}}
"""
        )
        process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)])
        try:
            _wait_for(plain, process, log)
            _wait_for(tls, process, log)
            yield Dovecot(plain, tls, certificate, log)
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)
