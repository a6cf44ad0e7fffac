"""Error logs keep their tracebacks but not the exception's message.

A database error quotes the row or the value it failed on ("Failing row contains (…)",
"invalid input syntax: "ogrenci@example.com""), which may be students' data or link secrets;
statement parameters are already hidden by the engines (``hide_parameters``). The type and
the frames are enough to find the fault.
"""

from __future__ import annotations

import logging
import traceback
from typing import Final

LOGGERS: Final = ("uvicorn.error", "celery.app.trace", "celery.worker", "campaigns.run")


class WithholdExceptionMessages(logging.Filter):
    """Formats a record's exception as its traceback and type only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            kind, _, tb = record.exc_info
            name = kind.__name__ if kind is not None else "Exception"
            record.exc_text = (
                "Traceback (most recent call last):\n"
                + "".join(traceback.format_tb(tb))
                + f"{name} (message withheld: it may quote personal data)"
            )
        return True


def install(names: tuple[str, ...] = LOGGERS) -> None:
    """Add the filter to the loggers that log uncaught errors, once each."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, WithholdExceptionMessages) for f in logger.filters):
            logger.addFilter(WithholdExceptionMessages())
