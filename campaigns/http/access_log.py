"""Access log lines without personal data (KVKK).

- A tracked link or an unsubscribe link carries the student's token, which opens the link
  and unsubscribes them, and a sign-in link signs its user in: ``/r/<token>``,
  ``/u/<token>`` and ``/giris/<token>`` are logged as ``/r/…``, ``/u/…``, ``/giris/…``.
- Filters such as ``advisor_email``, ``q``, the web app's ``ara``, ``danisman`` or the
  desk's ``no`` carry email addresses, names and student numbers: every query string is
  cut off.
- A student's number in a path (``/ogrenciler/<number>``, ``/api/v1/students/<number>``)
  is logged as ``…``.
"""

from __future__ import annotations

import logging
import re
from typing import Final

ACCESS_LOGGER: Final = "uvicorn.access"
_TOKEN_PATH = re.compile(r"^/(r|u|giris)/.*", re.DOTALL)
_STUDENT_PATH = re.compile(r"^(/ogrenciler|/api/v1/students)/[^/?]+")


def redact(path: str) -> str:
    """``path`` as it may be logged."""
    path = _TOKEN_PATH.sub(lambda match: f"/{match[1]}/…", path, count=1)
    path = _STUDENT_PATH.sub(lambda match: f"{match[1]}/…", path, count=1)
    if "?" in path:
        return path.split("?", 1)[0] + "?…"
    return path


class RedactPersonalPaths(logging.Filter):
    """Rewrites the path of uvicorn's access records
    (``args = (client, method, path, http_version, status)``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to the access logger, once."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactPersonalPaths) for f in logger.filters):
        logger.addFilter(RedactPersonalPaths())
