"""Access log lines of the API without their query strings: filters such as
``advisor_email`` or ``q`` carry email addresses and names, which must not reach logs (KVKK).
"""

from __future__ import annotations

import logging
from typing import Final

ACCESS_LOGGER: Final = "uvicorn.access"
PREFIX: Final = "/api/v1/"


class DropApiQueryStrings(logging.Filter):
    """Cuts the query string off API paths in uvicorn's access records
    (``args = (client, method, path, http_version, status)``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2]
            if path.startswith(PREFIX) and "?" in path:
                record.args = (args[0], args[1], path.split("?", 1)[0] + "?…", *args[3:])
        return True


def install() -> None:
    """Add the filter to the access logger, once."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropApiQueryStrings) for f in logger.filters):
        logger.addFilter(DropApiQueryStrings())
