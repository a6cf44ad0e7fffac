"""Import the registrar's list of graduating students: validate every row, upsert in bulk.

Every data row ends up imported (new), updated, unchanged or rejected; anything noteworthy is
an issue with its row number. Reports and logs carry field names and counts, never the
personal data itself (names, phone numbers, e-mail addresses).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table as SqlTable
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.column_headers import ColumnMap, FieldSpec, map_columns, missing_columns_error
from campaigns.core.db import Database
from campaigns.core.errors import CampaignsError
from campaigns.core.models import Conversion, Student, utcnow
from campaigns.core.tabular_files import Formula, Row, Severity, Table, as_text, formula_reason
from campaigns.core.turkish_text import clean
from campaigns.students.contact_details import (
    DEFAULT_LANGUAGE,
    normalise_degree,
    normalise_email,
    normalise_language,
    normalise_phone,
    normalise_timezone,
    parse_yes_no,
)
from campaigns.students.terms import InvalidTermError, parse_term

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in total) while rows are checked."""

STUDENT_COLUMNS: FieldSpec = {
    "student_no": (
        "Öğrenci No",
        "Öğrenci Numarası",
        "Öğr. No",
        "Öğrenci Numara",
        "Okul No",
        "Okul Numarası",
        "Student No",
        "Student Number",
        "Student ID",
    ),
    "first_name": ("Adı", "Ad", "İsim", "Öğrenci Adı", "First Name", "Given Name", "Forename"),
    "last_name": (
        "Soyadı",
        "Soyad",
        "Soyisim",
        "Soyismi",
        "Öğrenci Soyadı",
        "Last Name",
        "Surname",
        "Family Name",
    ),
    "full_name": (
        "Adı Soyadı",
        "Ad Soyad",
        "Ad Soyadı",
        "Adı ve Soyadı",
        "İsim Soyisim",
        "Öğrenci Adı Soyadı",
        "Full Name",
        "Student Name",
        "Name",
    ),
    "faculty": (
        "Fakülte",
        "Fakülte/Enstitü/YO",
        "Fakülte/Enstitü/MYO",
        "Fakülte/Enstitü/Yüksekokul",
        "Fakülte/Enstitü",
        "Fakülte/Yüksekokul",
        "Birim",
        "Akademik Birim",
        "Faculty",
        "Faculty/Institute",
        "Faculty/Institute/School",
        "Faculty/School",
        "School",
    ),
    "department": (
        "Bölüm",
        "Bölüm/Program",
        "Bölüm/Anabilim Dalı",
        "Anabilim Dalı",
        "Program",
        "Programı",
        "Bölümü",
        "Department",
        "Department/Program",
        "Programme",
        "Major",
    ),
    "degree": (
        "Öğrenim Düzeyi",
        "Öğrenim Seviyesi",
        "Eğitim Düzeyi",
        "Derece",
        "Düzey",
        "Seviye",
        "Degree",
        "Degree Level",
        "Level",
    ),
    "advisor_name": (
        "Danışman",
        "Danışman Adı",
        "Danışman Adı Soyadı",
        "Danışmanı",
        "Akademik Danışman",
        "Advisor",
        "Advisor Name",
        "Adviser",
        "Supervisor",
    ),
    "advisor_email": (
        "Danışman E-posta",
        "Danışman E-posta Adresi",
        "Danışman E-mail",
        "Danışman Mail",
        "Advisor Email",
        "Advisor E-mail Address",
        "Adviser Email",
        "Supervisor Email",
    ),
    "email": (
        "Kurumsal E-posta",
        "Kurumsal E-posta Adresi",
        "Kurumsal Mail",
        "Okul E-posta",
        "Öğrenci E-posta",
        "E-posta",
        "E-posta Adresi",
        "Institutional Email",
        "University Email",
        "Student Email",
        "Email",
        "Email Address",
        "Mail",
    ),
    "personal_email": (
        "Kişisel E-posta",
        "Kişisel E-posta Adresi",
        "Kişisel Mail",
        "Özel E-posta",
        "Diğer E-posta",
        "Personal Email",
        "Private Email",
        "Other Email",
    ),
    "phone": (
        "Cep Telefonu",
        "Cep Telefonu No",
        "Cep Tel",
        "Cep No",
        "Cep",
        "GSM",
        "GSM No",
        "Mobile",
        "Mobile Phone",
        "Mobile Number",
        "Cell Phone",
        "Telefon",
        "Telefon No",
        "Tel",
        "Phone",
        "Phone Number",
    ),
    "whatsapp_opt_in": (
        "WhatsApp İzni",
        "WhatsApp Onayı",
        "WhatsApp İzin",
        "WhatsApp",
        "WhatsApp Opt In",
        "WhatsApp Consent",
    ),
    "contact_consent": (
        "KVKK İletişim İzni",
        "KVKK İletişim Onayı",
        "KVKK İzni",
        "KVKK Onayı",
        "KVKK",
        "İletişim İzni",
        "İletişim Onayı",
        "Açık Rıza",
        "Contact Consent",
        "Consent",
        "Contact Opt In",
    ),
    "commercial_consent": (
        "Ticari İleti Onayı",
        "Ticari İleti İzni",
        "İYS Onayı",
        "İYS İzni",
        "İYS",
        "Commercial Consent",
        "Marketing Consent",
    ),
    "language": ("Dil", "İletişim Dili", "Tercih Edilen Dil", "Language", "Preferred Language"),
    "timezone": ("Saat Dilimi", "Zaman Dilimi", "Time Zone", "Timezone"),
    "graduation_term": (
        "Mezuniyet Dönemi",
        "Mezuniyet Yarıyılı",
        "Dönem",
        "Yarıyıl",
        "Graduation Term",
        "Graduation Semester",
        "Term",
        "Semester",
    ),
}

# Stored fields in model order; the change report lists them in this order.
FIELDS = (
    "first_name",
    "last_name",
    "faculty",
    "department",
    "degree",
    "advisor_name",
    "advisor_email",
    "email",
    "personal_email",
    "phone",
    "phone_is_mobile",
    "whatsapp_opt_in",
    "contact_consent",
    "commercial_consent",
    "language",
    "timezone",
    "graduation_term",
)
_DEFAULTS: dict[str, Any] = {
    "degree": "",
    "advisor_name": None,
    "advisor_email": None,
    "email": None,
    "personal_email": None,
    "phone": None,
    "phone_is_mobile": False,
    "whatsapp_opt_in": False,
    "contact_consent": False,
    "commercial_consent": False,
    "language": DEFAULT_LANGUAGE,
    "timezone": None,
}
_MAX_LENGTH = {"student_no": 32}
_TEXT_MAX_LENGTH = 255
_PROGRESS_EVERY = 1000


@dataclass(frozen=True, slots=True)
class Issue:
    """Something about one row (row 1 is the header) worth telling the person importing."""

    row: int
    student_no: str | None
    field: str | None
    severity: Severity
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "student_no": self.student_no,
            "field": self.field,
            "severity": self.severity,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Change:
    """Which fields of an existing student a row changed (names only, never values)."""

    row: int
    student_no: str
    fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "student_no": self.student_no, "fields": list(self.fields)}


@dataclass(slots=True)
class ImportReport:
    """Counts per outcome; ``skipped`` counts total/summary rows that were not students."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    issues: list[Issue] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Data rows seen, total rows excluded."""
        return self.imported + self.updated + self.unchanged + self.rejected

    @property
    def accepted(self) -> int:
        return self.imported + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "issues": [issue.as_dict() for issue in self.issues],
            "changes": [change.as_dict() for change in self.changes],
            "skipped": self.skipped,
        }


@dataclass(slots=True)
class _Checked:
    """One row's values for the fields the file provides, and what was wrong with them."""

    row: int
    student_no: str
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # Fields whose cell is a formula without a value: that is their one problem (their
    # value is unknown, not missing).
    formulas: set[str] = field(default_factory=set)

    def problem(self, field: str | None, reason: str, severity: Severity = "warning") -> None:
        if field in self.formulas:
            return
        target = self.errors if severity == "error" else self.warnings
        target.append(Issue(self.row, self.student_no or None, field, severity, reason))


def import_students(
    session: Session,
    table: Table,
    *,
    term: str | None = None,
    overrides: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert the students of ``table`` by student number, within the caller's transaction.

    ``term`` fills the graduation term of rows without one. ``overrides`` maps column names to
    fields when the header wording is not recognised. Fields the file has no column for are
    left as they are on existing students. Raises ``UnreadableFileError`` (before writing
    anything) when a required column is missing or an override is wrong.
    """
    columns, unused_full_name = _map_student_columns(table, overrides)
    default_term = clean(term) or None
    if default_term is not None:
        parse_term(default_term)  # a wrong --term is refused before anything is read
    report = ImportReport()
    report.issues.extend(
        Issue(table.header_row, None, None, "warning", _unrecognised_reason(name))
        for name in columns.unrecognised
    )
    report.issues.extend(
        Issue(table.header_row, None, None, "warning", note) for note in table.notes
    )
    if unused_full_name:
        report.issues.append(
            Issue(table.header_row, None, "full_name", "warning", _unused_reason(unused_full_name))
        )
    for aside in table.set_aside:
        report.issues.append(Issue(aside.row, None, None, aside.severity, aside.reason))
        if aside.severity == "error":
            report.rejected += 1
        else:
            report.skipped += 1

    existing = _load_existing(session)
    provided = _provided_fields(columns)
    first_row: dict[str, int] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    total = len(table.rows)

    for done, row in enumerate(table.rows, start=1):
        checked = _check_row(row, columns, default_term)
        if checked.student_no:
            seen = first_row.setdefault(checked.student_no, row.number)
            if seen != row.number:
                checked.errors.insert(0, _duplicate(row.number, seen, checked.student_no))
        stored = existing.get(checked.student_no)
        if stored is not None and stored["purged_at"] is not None:
            # Their personal data was erased on purpose (KVKK); a list must not bring it back.
            checked.problem("student_no", PURGED_REASON, "error")
        if not checked.errors:
            _check_whatsapp(checked, stored)
        if checked.errors:
            report.rejected += 1
            report.issues.extend(checked.errors)
        else:
            report.issues.extend(checked.warnings)
            _plan_write(checked, stored, provided, report, inserts, updates, now)
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == total):
            progress(done, total)

    _write(session, inserts, updates)
    if inserts:
        # Conversions reported before the student was on any list can now be attributed.
        attach_waiting_conversions(session)
    report.issues.sort(key=lambda issue: issue.row)
    logger.info(
        "student import: %d imported, %d updated, %d unchanged, %d rejected, %d skipped",
        report.imported,
        report.updated,
        report.unchanged,
        report.rejected,
        report.skipped,
    )
    return report


def import_list(
    session: Session,
    actor: Actor,
    table: Table,
    *,
    source: str,
    term: str | None = None,
    overrides: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """``import_students`` for ``actor`` (an administrator: a list holds every faculty's
    students), audited with the file's name (``source``) and the counts, in the same
    transaction."""
    may_import(actor)
    report = import_students(session, table, term=term, overrides=overrides, progress=progress)
    audit.record(
        session,
        actor.name,
        audit.STUDENTS_IMPORT,
        source,
        {
            "imported": report.imported,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
        },
    )
    return report


def may_import(actor: Actor) -> None:
    """Only administrators (the alumni office) import lists; ``NotAllowedError`` for others."""
    actor.must_be_admin(
        "öğrenci listelerini Mezunlar Ofisi yükler / the alumni office imports student lists"
    )


def check_list(
    db: Database,
    actor: Actor,
    table: Table,
    *,
    term: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> ImportReport:
    """What ``import_list`` would do with ``table``, nothing stored: the import runs in a
    transaction that is rolled back, so the counts and problems are the real ones."""
    may_import(actor)
    return db.rehearse(
        lambda session: import_students(session, table, term=term, overrides=overrides)
    )


def mapped_columns(
    table: Table, overrides: Mapping[str, str] | None = None
) -> list[tuple[str, str | None]]:
    """Each header of ``table`` and the field it is read as (None: not read); the check
    page shows it. ``UnreadableFileError`` when a required column is missing."""
    columns, _combined = _map_student_columns(table, overrides)
    fields = {index: name for name, index in columns.columns.items()}
    return [(header, fields.get(index)) for index, header in enumerate(table.headers)]


def _map_student_columns(
    table: Table, overrides: Mapping[str, str] | None
) -> tuple[ColumnMap, str | None]:
    """The column map, and the combined-name header left unused beside separate name columns."""
    columns = map_columns(table.headers, STUDENT_COLUMNS, overrides=overrides)
    missing = [f for f in ("student_no",) if not columns.has(f)]
    has_split_name = columns.has("first_name") and columns.has("last_name")
    if not has_split_name and not columns.has("full_name"):
        missing += [f for f in ("first_name", "last_name") if not columns.has(f)]
    # Consent is required: without a recorded answer nobody may be contacted.
    missing += [f for f in ("faculty", "department", "contact_consent") if not columns.has(f)]
    if missing:
        raise missing_columns_error(missing, table.headers, table.notes)
    if has_split_name and columns.has("full_name"):
        # Separate name columns are exact; the combined one would only be split by guesswork.
        remaining = {f: i for f, i in columns.columns.items() if f != "full_name"}
        header = table.headers[columns.columns["full_name"]]
        return ColumnMap(table.headers, remaining, columns.unrecognised), header
    return columns, None


def _provided_fields(columns: ColumnMap) -> tuple[str, ...]:
    """The stored fields this file sets; the others stay as they are on existing students."""
    # Every accepted row has these (the term from its column or from --term).
    provided = {"first_name", "last_name", "faculty", "department", "graduation_term"}
    provided.update(f for f in FIELDS if columns.has(f))
    if columns.has("phone"):
        provided.add("phone_is_mobile")
    return tuple(f for f in FIELDS if f in provided)


PURGED_REASON = (
    "bu öğrencinin kişisel verileri silinmiş (KVKK); yeniden alınmadı / this student's "
    "personal data was purged: not imported again"
)


def _load_existing(session: Session) -> dict[str, dict[str, Any]]:
    """All stored students' comparable values by student number, in one query."""
    columns = [
        Student.id,
        Student.student_no,
        Student.purged_at,
        *(getattr(Student, f) for f in FIELDS),
    ]
    result = session.execute(select(*columns))
    return {row.student_no: dict(row._mapping) for row in result}


def _check_row(row: Row, columns: ColumnMap, default_term: str | None) -> _Checked:
    def text(field: str) -> str:
        return as_text(columns.value(row, field))

    checked = _Checked(row.number, text("student_no"))
    _check_formulas(checked, row, columns, default_term)
    _check_identity(checked, text, columns, default_term)
    _check_contacts(checked, text, columns)
    _check_lengths(checked)
    return checked


# Without these a row is rejected (the term only when no --term fills it in).
REQUIRED = frozenset(
    {"student_no", "first_name", "last_name", "full_name", "faculty", "department"}
)


def _check_formulas(
    checked: _Checked, row: Row, columns: ColumnMap, default_term: str | None
) -> None:
    """Cells whose formula has no stored value: say so, naming the column, rather than
    reporting the value as missing."""
    for name, index in columns.columns.items():
        cell = row.cell(index)
        if isinstance(cell, Formula):
            required = name in REQUIRED or (name == "graduation_term" and not default_term)
            checked.problem(
                name,
                formula_reason(columns.headers[index], index, cell),
                "error" if required else "warning",
            )
            checked.formulas.add(name)
            if name == "full_name":  # the names it would have given are unknown too
                checked.formulas |= {"first_name", "last_name"}


def _check_identity(
    checked: _Checked, text: Callable[[str], str], columns: ColumnMap, default_term: str | None
) -> None:
    """The fields without which a row is rejected: number, name, faculty, department, term."""
    if not checked.student_no:
        checked.problem("student_no", "öğrenci numarası boş / student number is missing", "error")

    if columns.has("first_name") and columns.has("last_name"):
        first, last = text("first_name"), text("last_name")
    else:
        # "Ayşe Nur Yılmaz": Turkish surnames are one word, given names may be several.
        first, _, last = text("full_name").rpartition(" ")
        if not first:
            first, last = last, ""
    checked.values.update(first_name=first, last_name=last)
    if not first:
        checked.problem("first_name", "ad boş / first name is missing", "error")
    if not last:
        checked.problem("last_name", "soyadı boş / last name is missing", "error")

    for name, tr, en in (("faculty", "fakülte", "faculty"), ("department", "bölüm", "department")):
        checked.values[name] = text(name)
        if not checked.values[name]:
            checked.problem(name, f"{tr} boş / {en} is missing", "error")

    term = text("graduation_term") or default_term
    checked.values["graduation_term"] = term
    if not term:
        checked.problem(
            "graduation_term",
            "mezuniyet dönemi boş ve --term verilmedi / "
            "graduation term is missing and no --term was given",
            "error",
        )
        return
    # Read now, so that reports, audiences and the purge all see one spelling of a term.
    try:
        checked.values["graduation_term"] = str(parse_term(term))
    except InvalidTermError as exc:
        checked.problem("graduation_term", str(exc), "error")


def _check_contacts(checked: _Checked, text: Callable[[str], str], columns: ColumnMap) -> None:
    """Optional fields: a problem with one is a warning and the row is still imported."""
    values = checked.values
    if columns.has("advisor_name"):
        values["advisor_name"] = text("advisor_name") or None
    if columns.has("degree"):
        degree = normalise_degree(text("degree"))
        values["degree"] = degree.value
        if degree.problem:
            checked.problem("degree", degree.problem)
    for name in ("email", "personal_email", "advisor_email"):
        if columns.has(name):
            email = normalise_email(text(name))
            values[name] = email.value
            if email.problem:
                checked.problem(name, email.problem)
    zone_abroad = None
    if columns.has("phone"):
        phone = normalise_phone(text("phone"))
        values.update(phone=phone.number, phone_is_mobile=phone.is_mobile)
        zone_abroad = phone.zone
        if phone.problem:
            checked.problem("phone", phone.problem)
    if columns.has("timezone"):
        # Written by the registrar: it wins over what a number abroad suggests.
        zone = normalise_timezone(text("timezone"))
        values["timezone"] = zone.value or zone_abroad
        if zone.problem:
            checked.problem("timezone", zone.problem)
    elif columns.has("phone"):
        values["timezone"] = zone_abroad
    if columns.has("whatsapp_opt_in"):
        whatsapp = parse_yes_no(text("whatsapp_opt_in"))
        values["whatsapp_opt_in"] = whatsapp.value
        if whatsapp.problem:
            checked.problem("whatsapp_opt_in", whatsapp.problem)
    answer = text("contact_consent")
    consent = parse_yes_no(answer)
    values["contact_consent"] = consent.value
    if consent.problem:
        checked.problem(
            "contact_consent",
            f"iletişim izni değeri tanınmadı ({answer!r}); 'hayır' sayıldı, öğrenciyle iletişim "
            f"kurulmayacak / contact consent value not recognised ({answer!r}): taken as 'no', "
            f"the student will not be contacted",
        )
    if columns.has("commercial_consent"):
        # Recorded in İYS: only then may a commercial campaign reach the student.
        commercial = parse_yes_no(text("commercial_consent"))
        values["commercial_consent"] = commercial.value
        if commercial.problem:
            checked.problem("commercial_consent", commercial.problem)
    if columns.has("language"):
        language = normalise_language(text("language"))
        values["language"] = language.value
        if language.problem:
            checked.problem("language", language.problem)


def _check_lengths(checked: _Checked) -> None:
    """Values longer than their column would fail the whole transaction on PostgreSQL."""
    for name, value in (("student_no", checked.student_no), *checked.values.items()):
        limit = _MAX_LENGTH.get(name, _TEXT_MAX_LENGTH)
        if isinstance(value, str) and len(value) > limit:
            checked.problem(
                name,
                f"çok uzun (en çok {limit} karakter) / too long (at most {limit} characters)",
                "error",
            )


def _check_whatsapp(checked: _Checked, stored: Mapping[str, Any] | None) -> None:
    """Opt-in is kept as given (it is the student's answer) but is useless without a mobile."""
    if not checked.values.get("whatsapp_opt_in"):
        return
    is_mobile = checked.values.get("phone_is_mobile")
    if is_mobile is None:  # the file has no phone column: the stored number applies
        is_mobile = bool(stored and stored["phone_is_mobile"])
    if not is_mobile:
        checked.problem(
            "whatsapp_opt_in",
            "WhatsApp izni var ama kullanılabilir cep telefonu yok / "
            "WhatsApp opt-in given but there is no usable mobile number",
        )


def _duplicate(row: int, first: int, student_no: str) -> Issue:
    return Issue(
        row,
        student_no,
        "student_no",
        "error",
        f"öğrenci numarası dosyada tekrar ediyor: {first}. ve {row}. satır; {row}. satır "
        f"alınmadı / student number repeated in the file: rows {first} and {row}; "
        f"row {row} not imported",
    )


def _unrecognised_reason(header: str) -> str:
    return (
        f"sütun tanınmadı, içe aktarılmadı: {header!r} (gerekirse --map kullanın) / "
        f"column not recognised, not imported: {header!r} (use --map if needed)"
    )


def _unused_reason(header: str) -> str:
    return (
        f"sütun kullanılmadı, ayrı ad ve soyadı sütunları var: {header!r} / "
        f"column not used, separate first and last name columns exist: {header!r}"
    )


def _plan_write(
    checked: _Checked,
    stored: dict[str, Any] | None,
    provided: tuple[str, ...],
    report: ImportReport,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    now: datetime,
) -> None:
    values = checked.values
    if stored is None:
        new = {**_DEFAULTS, **values, "student_no": checked.student_no}
        inserts.append({**new, "created_at": now, "updated_at": now})
        report.imported += 1
        return
    changed = tuple(f for f in provided if values[f] != stored[f])
    if not changed:
        report.unchanged += 1
        return
    # Every update carries the same keys so the driver can batch them in one executemany;
    # "_id" because a parameter named after a column would be taken for its new value.
    updates.append({"_id": stored["id"], **{f: values[f] for f in provided}, "updated_at": now})
    report.updated += 1
    report.changes.append(Change(checked.row, checked.student_no, changed))


def _write(session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    # Core statements: the ORM's bulk paths split batches wherever a row's NULLs differ,
    # which turns 100,000 rows into tens of thousands of statements.
    table = cast(SqlTable, Student.__table__)
    try:
        if inserts:
            session.execute(insert(table), inserts)
        if updates:
            # The SET clause comes from the other parameter keys.
            session.execute(update(table).where(table.c.id == bindparam("_id")), updates)
    except IntegrityError as exc:
        raise CampaignsError(
            "öğrenciler kaydedilemedi: aynı anda başka bir içe aktarma çalışmış olabilir; "
            "tekrar deneyin / students could not be saved: another import may have run at the "
            "same time; try again"
        ) from exc


def attach_waiting_conversions(session: Session) -> int:
    """Attach conversions reported before their student was on any list, so they can be
    attributed; the alumni system may know a student before the registrar's list does."""
    student_id = (
        select(Student.id).where(Student.student_no == Conversion.student_no).scalar_subquery()
    )
    result = session.execute(
        update(Conversion)
        .where(Conversion.student_id.is_(None), student_id.is_not(None))
        .values(student_id=student_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
