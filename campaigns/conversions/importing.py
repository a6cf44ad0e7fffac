"""Import a list of conversions exported by the alumni system or by Student Affairs: student
numbers, with the time of each when the file has it (else the time of the import). Rows that
cannot be used are reported with their row number, never lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from campaigns.conversions.recording import (
    ConversionInput,
    ConversionReport,
    conversion_time,
    record_conversions,
)
from campaigns.core.column_headers import FieldSpec, map_columns, missing_columns_error
from campaigns.core.models import ConversionStage, utcnow
from campaigns.core.tabular_files import Cell, Formula, Table, as_text, formula_reason
from campaigns.students.importing import STUDENT_COLUMNS

CONVERSION_COLUMNS: FieldSpec = {
    "student_no": STUDENT_COLUMNS["student_no"],
    "occurred_at": (
        "Kayıt Tarihi",
        "Kayıt Zamanı",
        "Üyelik Tarihi",
        "Teslim Tarihi",
        "Form Teslim Tarihi",
        "Tarih",
        "Registration Time",
        "Registered At",
        "Registration Date",
        "Submitted At",
        "Date",
        "Time",
    ),
}

_DAY_FIRST = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


@dataclass(slots=True)
class ConversionImportReport:
    """What an import recorded; ``recorded_as_of`` is the time given to every conversion of a
    file without a time column (None when the file has one)."""

    recorded: ConversionReport
    rejected: int = 0
    issues: list[dict[str, Any]] = field(default_factory=list)
    recorded_as_of: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.recorded.as_dict(),
            "rejected": self.rejected,
            "issues": self.issues,
            "recorded_as_of": self.recorded_as_of.isoformat() if self.recorded_as_of else None,
        }


def parse_time(cell: Cell, zone: ZoneInfo) -> datetime:
    """A registration time from a cell, in UTC: ISO 8601 or ``dd.mm.yyyy [HH:MM[:SS]]``;
    times without a zone are local to ``zone``. Raises ``ValueError`` with a bilingual reason
    (unreadable, before 2000, or in the future)."""
    if isinstance(cell, datetime):
        value = cell
    elif isinstance(cell, date):
        value = datetime.combine(cell, time(0))
    else:
        text = as_text(cell)
        match = _DAY_FIRST.fullmatch(text)
        try:
            if match:
                day, month, year, hour, minute, second = match.groups()
                value = datetime(
                    int(year),
                    int(month),
                    int(day),
                    int(hour or 0),
                    int(minute or 0),
                    int(second or 0),
                )
            else:
                value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"tarih anlaşılamadı: {text!r} (ör. 2020-07-15 14:30 ya da 15.07.2020 14:30) / "
                f"not a date and time: {text!r} (e.g. 2020-07-15 14:30 or 15.07.2020 14:30)"
            ) from None
    return conversion_time(value, zone=zone, now=utcnow())


def import_conversions(
    session: Session,
    table: Table,
    *,
    stage: ConversionStage,
    zone: ZoneInfo,
    overrides: dict[str, str] | None = None,
    source: str = "import",
) -> ConversionImportReport:
    """Record the conversions of a file; idempotent (the earliest time wins)."""
    columns = map_columns(table.headers, CONVERSION_COLUMNS, overrides=overrides)
    if not columns.has("student_no"):
        raise missing_columns_error(["student_no"], table.headers, table.notes)
    # A plain list of student numbers: they are recorded as of now (the summary says so).
    now = None if columns.has("occurred_at") else utcnow()

    issues: list[dict[str, Any]] = [
        {
            "row": s.row,
            "student_no": None,
            "field": None,
            "severity": s.severity,
            "reason": s.reason,
        }
        for s in table.set_aside
    ]
    entries: list[ConversionInput] = []
    issues += [
        {
            "row": table.header_row,
            "student_no": None,
            "field": None,
            "severity": "warning",
            "reason": note,
        }
        for note in table.notes
    ]
    for row in table.rows:
        student_no = as_text(columns.value(row, "student_no"))
        problem: tuple[str, str] | None = None
        formulas = [
            (name, index, cell)
            for name, index in columns.columns.items()
            if isinstance(cell := row.cell(index), Formula)
        ]
        if formulas:
            name, index, cell = formulas[0]
            problem = (name, formula_reason(columns.headers[index], index, cell))
        elif not student_no:
            problem = ("student_no", "öğrenci numarası yok / student number missing")
        else:
            try:
                occurred = now or parse_time(columns.value(row, "occurred_at"), zone)
            except ValueError as exc:
                problem = ("occurred_at", str(exc))
        if problem:
            issues.append(
                {
                    "row": row.number,
                    "student_no": student_no or None,
                    "field": problem[0],
                    "severity": "error",
                    "reason": problem[1],
                }
            )
            continue
        entries.append(ConversionInput(student_no, occurred, stage, row.number))

    report = record_conversions(session, entries, source=source)
    return ConversionImportReport(
        report,
        rejected=sum(1 for i in issues if i["severity"] == "error"),
        issues=issues,
        recorded_as_of=now,
    )
