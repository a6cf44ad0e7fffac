"""Importing registrars' student lists, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select

from campaigns.core.column_headers import map_columns, parse_overrides, recogniser
from campaigns.core.db import Database
from campaigns.core.errors import UnreadableFileError
from campaigns.core.models import Conversion, ConversionStage, Student, utcnow
from campaigns.core.tabular_files import TOTAL_ROW_REASON, Table, parse_table, read_table
from campaigns.students.importing import STUDENT_COLUMNS, Change, ImportReport, import_students
from campaigns.students.terms import InvalidTermError
from tests.support.paths import FIXTURES

EN_SAMPLE = FIXTURES / "graduates_sample.csv"
TR_SAMPLE = FIXTURES / "graduates_sample_tr.csv"

COLUMNS = {
    "student_no": "Öğrenci No",
    "first_name": "Adı",
    "last_name": "Soyadı",
    "faculty": "Fakülte",
    "department": "Bölüm",
    "degree": "Öğrenim Düzeyi",
    "email": "Kurumsal E-posta",
    "personal_email": "Kişisel E-posta",
    "phone": "Cep Telefonu",
    "whatsapp": "WhatsApp İzni",
    "consent": "KVKK İletişim İzni",
    "language": "Dil",
    "term": "Mezuniyet Dönemi",
}
TERM = "2024-2025 Bahar"


def student(n: int, **changes: str) -> dict[str, str]:
    """A complete, valid row for student ``2000000n``; keyword arguments change cells."""
    number = str(20_000_000 + n)
    row = {
        "student_no": number,
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "faculty": "Mühendislik Fakültesi",
        "department": "Bilgisayar Mühendisliği",
        "degree": "lisans",
        "email": f"{number}@stu.universite.example.edu.tr",
        "personal_email": f"ayse{n}@example.com",
        "phone": f"0532 {1_000_000 + n:07d}",
        "whatsapp": "Evet",
        "consent": "Evet",
        "language": "tr",
        "term": TERM,
    }
    row.update(changes)
    return row


def csv_table(rows: list[dict[str, str]], columns: dict[str, str] = COLUMNS) -> Table:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns.values())
    for row in rows:
        writer.writerow([row.get(key, "") for key in columns])
    return parse_table(buffer.getvalue().encode(), name="liste.csv")


def run_import(db: Database, table: Table, **options: Any) -> ImportReport:
    with db.session() as session:
        return import_students(session, table, **options)


def stored(db: Database) -> dict[str, Student]:
    with db.session() as session:
        return {s.student_no: s for s in session.scalars(select(Student))}


def issue_keys(report: ImportReport) -> list[tuple[int, str | None, str | None, str]]:
    return [(i.row, i.student_no, i.field, i.severity) for i in report.issues]


def test_english_sample_imports_every_row(db: Database) -> None:
    report = run_import(db, read_table(EN_SAMPLE))

    # Expected numbers were derived from the file with the csv module and phonenumbers:
    # 2000 rows, all student numbers distinct and every required cell filled; the "mobile"
    # column has 141 empty cells and 1859 valid mobiles (no landline, no invalid number);
    # every e-mail is valid; no student says "yes" to WhatsApp without a phone number.
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (2000, 0, 0, 0)
    assert report.issues == []
    assert report.skipped == 0
    students = stored(db)
    assert len(students) == 2000
    assert sum(s.phone is None for s in students.values()) == 141
    assert sum(s.phone_is_mobile for s in students.values()) == 1859
    assert sum(s.personal_email is None for s in students.values()) == 829
    assert sum(s.contact_consent for s in students.values()) == 1935
    assert sum(s.whatsapp_opt_in for s in students.values()) == 1237
    assert Counter(s.language for s in students.values()) == {"tr": 1920, "en": 80}
    assert Counter(s.degree for s in students.values()) == {
        "lisans": 1326,
        "yüksek lisans": 241,
        "önlisans": 217,
        "doktora": 216,
    }
    first = students["15568816"]
    assert (first.first_name, first.last_name) == ("Zeynep", "İnce")
    assert first.phone == "+905359277127"
    assert first.email == "15568816@stu.omu.example.edu.tr"
    assert first.advisor_name == "Dr. Öğr. Üyesi Meryem Akgül"
    assert first.graduation_term == "2019-2020 Bahar"


def test_turkish_sample_imports_with_turkish_headers(db: Database) -> None:
    report = run_import(db, read_table(TR_SAMPLE))

    # 50 rows, all valid; "Cep Telefonu" has one empty cell (whose WhatsApp answer is Hayır),
    # "KVKK İletişim İzni" 45 Evet / 5 Hayır, "WhatsApp İzni" 31 Evet / 19 Hayır.
    assert (report.imported, report.rejected, report.issues) == (50, 0, [])
    students = stored(db)
    assert sum(s.phone is None for s in students.values()) == 1
    assert sum(s.contact_consent for s in students.values()) == 45
    assert sum(s.whatsapp_opt_in for s in students.values()) == 31
    assert students["15568816"].last_name == "İNCE"  # names are data: never re-cased
    assert students["15568816"].faculty == "Eğitim Fakültesi"
    assert students["15568816"].department == "Okul Öncesi Öğretmenliği"


def test_reimporting_the_same_file_changes_nothing(db: Database) -> None:
    run_import(db, read_table(EN_SAMPLE))
    before = {no: s.updated_at for no, s in stored(db).items()}

    report = run_import(db, read_table(EN_SAMPLE))

    assert (report.imported, report.updated, report.unchanged, report.rejected) == (0, 0, 2000, 0)
    assert report.changes == []
    assert {no: s.updated_at for no, s in stored(db).items()} == before


def test_turkish_list_after_english_one_reports_the_changed_field(db: Database) -> None:
    run_import(db, read_table(EN_SAMPLE))

    report = run_import(db, read_table(TR_SAMPLE))

    # The Turkish sample is the English one's first 50 students with upper-case surnames.
    assert (report.imported, report.updated, report.unchanged) == (0, 50, 0)
    assert {change.fields for change in report.changes} == {("last_name",)}
    assert report.changes[0] == Change(2, "15568816", ("last_name",))
    assert stored(db)["15568816"].last_name == "İNCE"


def test_windows_1254_file_imports_the_same_values(db: Database) -> None:
    legacy = TR_SAMPLE.read_bytes().decode("utf-8-sig").encode("cp1254")
    assert legacy != TR_SAMPLE.read_bytes()

    first = run_import(db, parse_table(legacy, name="liste.csv"))
    again = run_import(db, read_table(TR_SAMPLE))

    assert first.imported == 50
    assert again.unchanged == 50  # identical values: Turkish letters decoded correctly
    assert stored(db)["16828460"].last_name == "ÖZKAN"


def test_xlsx_with_numbers_stored_as_numbers_and_a_total_row(db: Database) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS.values()))
    sheet.append([15568816, "Zeynep", "İnce", "Tıp Fakültesi", "Tıp", "lisans", None, None,
                  5321234567, "Evet", "Evet", "tr", TERM])  # fmt: skip
    sheet.append([19407475.0, "Kaan", "Kaya", "Tıp Fakültesi", "Tıp", "lisans", None, None,
                  905321234568.0, "Hayır", "Evet", "tr", TERM])  # fmt: skip
    sheet.append(["Toplam", 2])
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = run_import(db, parse_table(buffer.getvalue(), name="liste.xlsx"))

    assert (report.imported, report.rejected, report.skipped) == (2, 0, 1)
    assert [(i.row, i.student_no, i.field, i.severity, i.reason) for i in report.issues] == [
        (4, None, None, "warning", TOTAL_ROW_REASON)
    ]
    students = stored(db)
    assert set(students) == {"15568816", "19407475"}
    assert students["15568816"].phone == "+905321234567"
    assert students["19407475"].phone == "+905321234568"


def test_each_kind_of_bad_row_is_reported_with_its_row_and_field(db: Database) -> None:
    rows = [
        student(1),  # row 2
        student(2, student_no=""),  # row 3
        student(3, first_name=""),  # row 4
        student(4, last_name="   "),  # row 5
        student(5, faculty=""),  # row 6
        student(6, department=""),  # row 7
        student(7, term=""),  # row 8
        student(1, first_name="Başka"),  # row 9: same number as row 2
        student(8, phone="532 123 45", whatsapp="Hayır"),  # row 10
        student(9, phone="0212 123 45 67", whatsapp="Hayır"),  # row 11
        student(10, email="ayse@"),  # row 12
        student(11, personal_email="ayse at example.com"),  # row 13
        student(12, phone="", whatsapp="Evet"),  # row 14
        student(13, consent="belki"),  # row 15
        student(14, degree="Tıpta Uzmanlık"),  # row 16
        student(15, language="Almanca"),  # row 17
        student(16, whatsapp="olabilir"),  # row 18
    ]

    report = run_import(db, csv_table(rows))

    assert (report.imported, report.rejected) == (10, 7)
    assert issue_keys(report) == [
        (3, None, "student_no", "error"),
        (4, "20000003", "first_name", "error"),
        (5, "20000004", "last_name", "error"),
        (6, "20000005", "faculty", "error"),
        (7, "20000006", "department", "error"),
        (8, "20000007", "graduation_term", "error"),
        (9, "20000001", "student_no", "error"),
        (10, "20000008", "phone", "warning"),
        (11, "20000009", "phone", "warning"),
        (12, "20000010", "email", "warning"),
        (13, "20000011", "personal_email", "warning"),
        (14, "20000012", "whatsapp_opt_in", "warning"),
        (15, "20000013", "contact_consent", "warning"),
        (16, "20000014", "degree", "warning"),
        (17, "20000015", "language", "warning"),
        (18, "20000016", "whatsapp_opt_in", "warning"),
    ]
    reasons = {issue.row: issue.reason for issue in report.issues}
    assert "2. ve 9. satır" in reasons[9]
    assert "rows 2 and 9" in reasons[9]
    assert (
        reasons[11] == "sabit hat; SMS/WhatsApp alamaz / landline: cannot receive SMS or WhatsApp"
    )
    assert "will not be contacted" in reasons[15]

    students = stored(db)
    assert set(students) == {f"200000{n:02d}" for n in (1, 8, 9, 10, 11, 12, 13, 14, 15, 16)}
    assert students["20000001"].first_name == "Ayşe"  # the later duplicate did not win
    assert students["20000008"].phone is None
    assert (students["20000009"].phone, students["20000009"].phone_is_mobile) == (
        "+902121234567",
        False,
    )
    assert students["20000010"].email is None
    assert students["20000011"].personal_email is None
    assert students["20000012"].whatsapp_opt_in is True  # the answer is kept, with a warning
    assert students["20000013"].contact_consent is False
    assert students["20000014"].degree == "Tıpta Uzmanlık"
    assert students["20000015"].language == "tr"
    assert students["20000016"].whatsapp_opt_in is False


def test_a_row_with_several_errors_lists_each_and_counts_once(db: Database) -> None:
    report = run_import(db, csv_table([student(1, first_name="", faculty="", department="")]))

    assert report.rejected == 1
    assert [i.field for i in report.issues] == ["first_name", "faculty", "department"]
    assert stored(db) == {}


def test_term_option_fills_only_rows_without_a_term(db: Database) -> None:
    rows = [student(1, term=""), student(2, term="2023-2024 Güz")]

    report = run_import(db, csv_table(rows), term="  2024-2025   Yaz ")

    assert (report.imported, report.rejected) == (2, 0)
    students = stored(db)
    assert students["20000001"].graduation_term == "2024-2025 Yaz"
    assert students["20000002"].graduation_term == "2023-2024 Güz"


def test_term_option_serves_files_without_a_term_column(db: Database) -> None:
    columns = {k: v for k, v in COLUMNS.items() if k != "term"}

    without = run_import(db, csv_table([student(1)], columns))
    with_term = run_import(db, csv_table([student(1)], columns), term=TERM)

    assert [(i.row, i.field, i.severity) for i in without.issues] == [
        (2, "graduation_term", "error")
    ]
    assert with_term.imported == 1
    assert stored(db)["20000001"].graduation_term == TERM


def test_names_are_kept_as_typed_apart_from_whitespace(db: Database) -> None:
    rows = [student(1, first_name="  mehmet   ALİ ", last_name="van der BERG\u00a0")]

    run_import(db, csv_table(rows))

    saved = stored(db)["20000001"]
    assert (saved.first_name, saved.last_name) == ("mehmet ALİ", "van der BERG")


def test_a_combined_name_column_is_split_at_the_last_space(db: Database) -> None:
    columns = {"student_no": "Öğrenci No", "full_name": "Adı Soyadı", **{
        k: v for k, v in COLUMNS.items() if k not in {"student_no", "first_name", "last_name"}
    }}  # fmt: skip
    rows = [student(1, full_name="Ayşe Nur Yılmaz"), student(2, full_name="Cher")]

    report = run_import(db, csv_table(rows, columns))

    saved = stored(db)["20000001"]
    assert (saved.first_name, saved.last_name) == ("Ayşe Nur", "Yılmaz")
    assert issue_keys(report) == [(3, "20000002", "last_name", "error")]


def test_changed_file_reports_changed_fields_and_no_personal_data(db: Database) -> None:
    run_import(db, csv_table([student(1), student(2), student(3), student(4)]))
    changed = [
        student(1),
        student(2, phone="+90 533 111 22 33"),
        student(3, consent="Hayır"),
        student(4, phone="0212 999 88 77", last_name="Yılmaz-Kaya"),
    ]

    report = run_import(db, csv_table(changed))

    assert (report.imported, report.updated, report.unchanged) == (0, 3, 1)
    assert report.changes == [
        Change(3, "20000002", ("phone",)),
        Change(4, "20000003", ("contact_consent",)),
        Change(5, "20000004", ("last_name", "phone", "phone_is_mobile")),
    ]
    students = stored(db)
    assert students["20000002"].phone == "+905331112233"
    assert students["20000003"].contact_consent is False
    assert students["20000004"].phone_is_mobile is False
    assert students["20000004"].updated_at > students["20000001"].updated_at
    text = json.dumps(report.as_dict(), ensure_ascii=False)
    for secret in ("533", "212", "Yılmaz", "Kaya", "Ayşe", "example.com", "@stu."):
        assert secret not in text


def test_fields_without_a_column_are_left_as_they_were(db: Database) -> None:
    run_import(db, csv_table([student(1, personal_email="ozel@example.com")]))
    minimal = {
        k: COLUMNS[k]
        for k in ("student_no", "first_name", "last_name", "faculty", "department", "consent")
    }

    report = run_import(db, csv_table([student(1)], minimal), term=TERM)

    assert report.unchanged == 1
    saved = stored(db)["20000001"]
    assert saved.personal_email == "ozel@example.com"
    assert saved.phone == "+905321000001"
    assert saved.degree == "lisans"


def test_new_student_from_a_minimal_file_gets_safe_defaults(db: Database) -> None:
    minimal = {
        k: COLUMNS[k]
        for k in ("student_no", "first_name", "last_name", "faculty", "department", "consent")
    }

    run_import(db, csv_table([student(1)], minimal), term=TERM)

    saved = stored(db)["20000001"]
    assert (saved.phone, saved.phone_is_mobile, saved.whatsapp_opt_in) == (None, False, False)
    assert (saved.language, saved.degree, saved.contact_consent) == ("tr", "", True)


@pytest.mark.parametrize("dropped", ["student_no", "consent", "faculty", "department"])
def test_a_file_missing_a_required_column_is_unreadable_and_changes_nothing(
    db: Database, dropped: str
) -> None:
    run_import(db, csv_table([student(1)]))
    columns = {k: v for k, v in COLUMNS.items() if k != dropped}
    field = {"consent": "contact_consent"}.get(dropped, dropped)

    with pytest.raises(UnreadableFileError) as caught:
        run_import(db, csv_table([student(1, first_name="Değişti"), student(2)], columns))

    assert f"gerekli sütun bulunamadı: {field}" in str(caught.value)
    assert "'Adı'" in str(caught.value)  # lists the headers it did find
    students = stored(db)
    assert set(students) == {"20000001"}
    assert students["20000001"].first_name == "Ayşe"


def test_overrides_map_unusual_headers(db: Database) -> None:
    columns = {**COLUMNS, "student_no": "Numara Alanı", "phone": "Tel (ev dışı)"}

    report = run_import(
        db,
        csv_table([student(1)], columns),
        overrides={"NUMARA ALANI": "student_no", "Tel (ev dışı)": "phone"},
    )

    assert report.imported == 1
    assert stored(db)["20000001"].phone == "+905321000001"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [({"Adı": "nickname"}, "'nickname'"), ({"Olmayan Sütun": "phone"}, "'Olmayan Sütun'")],
)
def test_a_bad_override_is_unreadable_and_names_the_culprit(
    db: Database, overrides: dict[str, str], named: str
) -> None:
    with pytest.raises(UnreadableFileError, match=named):
        run_import(db, csv_table([student(1)]), overrides=overrides)

    assert stored(db) == {}


def test_unrecognised_columns_are_reported_on_the_header_row(db: Database) -> None:
    report = run_import(db, csv_table([student(1, note="x")], {**COLUMNS, "note": "Notlar"}))

    assert report.imported == 1
    assert issue_keys(report) == [(1, None, None, "warning")]
    assert "'Notlar'" in report.issues[0].reason


def test_over_long_values_are_rejected_instead_of_failing_the_whole_import(db: Database) -> None:
    rows = [student(1, student_no="9" * 40), student(2, department="B" * 300), student(3)]

    report = run_import(db, csv_table(rows))

    assert (report.imported, report.rejected) == (1, 2)
    assert [(i.row, i.field) for i in report.issues] == [(2, "student_no"), (3, "department")]


def test_import_uses_a_fixed_number_of_statements_not_one_per_row(db: Database) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = [student(n) for n in range(1, 1501)]
        first = run_import(db, csv_table(rows))
        inserts = len(statements)
        statements.clear()
        second = run_import(db, csv_table([student(n, last_name="Kaya") for n in range(1, 1501)]))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert (first.imported, second.updated) == (1500, 1500)
    assert inserts <= 6
    assert len(statements) <= 6
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Student)) == 1500
        assert session.scalar(select(func.count()).where(Student.last_name == "Kaya")) == 1500


def test_progress_is_reported_up_to_the_last_row(db: Database) -> None:
    calls: list[tuple[int, int]] = []

    run_import(
        db,
        csv_table([student(n) for n in range(1, 2501)]),
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_logs_carry_no_personal_data(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    run_import(db, csv_table([student(1), student(2, phone="0212 123 45 67")]))

    assert "student import: 2 imported, 0 updated" in caplog.text
    for secret in ("Ayşe", "Yılmaz", "5321000001", "212", "example.com", "@stu."):
        assert secret not in caplog.text


def test_conversions_recorded_before_the_import_are_linked(db: Database) -> None:
    with db.session() as session:
        session.add(
            Conversion(
                student_no="20000001",
                stage=ConversionStage.REGISTERED,
                occurred_at=utcnow(),
                source="test",
            )
        )

    run_import(db, csv_table([student(1)]))

    with db.session() as session:
        conversion = session.scalars(select(Conversion)).one()
        saved = session.scalars(select(Student)).one()
        assert conversion.student_id == saved.id


@pytest.mark.parametrize(
    "header",
    ["Öğrenci No", "ÖĞRENCİ NO", "öğrenci no", "ogrenci no", "OGRENCI NO", "Öğrenci Numarası",
     "Öğrenci No.", "ÖĞRENCİ NUMARASI", "Student No", "student_no", "Student Number"],
)  # fmt: skip
def test_student_number_header_spellings(header: str) -> None:
    columns = map_columns(["Adı", header], STUDENT_COLUMNS, required=["student_no"])

    assert columns.columns["student_no"] == 1


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Fakülte/Enstitü/YO", "faculty"),
        ("FAKÜLTE / ENSTİTÜ / YO", "faculty"),
        ("Faculty/Institute", "faculty"),
        ("Bölüm/Program", "department"),
        ("Program", "department"),
        ("Department", "department"),
        ("Danışman E-posta", "advisor_email"),
        ("DANIŞMAN EPOSTA", "advisor_email"),
        ("Kurumsal E-posta", "email"),
        ("E-mail", "email"),
        ("Kişisel E-Posta", "personal_email"),
        ("Cep Telefonu (GSM)", "phone"),
        ("GSM", "phone"),
        ("mobile", "phone"),
        ("WhatsApp İzni", "whatsapp_opt_in"),
        ("KVKK İletişim İzni", "contact_consent"),
        ("İletişim İzni", "contact_consent"),
        ("Consent", "contact_consent"),
        ("Dil", "language"),
        ("Mezuniyet Dönemi", "graduation_term"),
        ("Dönem", "graduation_term"),
        ("Adı Soyadı", "full_name"),
        ("Öğrenim Düzeyi", "degree"),
        ("Level", "degree"),
    ],
)
def test_header_wordings_map_to_fields(header: str, field: str) -> None:
    assert map_columns([header], STUDENT_COLUMNS).columns == {field: 0}


def test_the_better_wording_wins_and_the_other_column_is_unrecognised() -> None:
    columns = map_columns(["Telefon", "Cep Telefonu", "Notlar"], STUDENT_COLUMNS)

    assert columns.columns == {"phone": 1}
    assert columns.unrecognised == ("Telefon", "Notlar")


def test_two_columns_with_the_same_wording_are_ambiguous() -> None:
    with pytest.raises(UnreadableFileError, match="--map"):
        map_columns(["E-posta", "e-posta"], STUDENT_COLUMNS)


def test_an_override_wins_over_recognition() -> None:
    columns = map_columns(
        ["Telefon", "Cep Telefonu"], STUDENT_COLUMNS, overrides={"telefon": "phone"}
    )

    assert columns.columns == {"phone": 0}
    assert columns.unrecognised == ("Cep Telefonu",)


@pytest.mark.parametrize("item", ["student_no", "=student_no", "Öğrenci No="])
def test_malformed_override_is_rejected(item: str) -> None:
    with pytest.raises(UnreadableFileError, match="Column Name=field"):
        parse_overrides([item])


def test_override_parsing_keeps_equals_signs_in_column_names() -> None:
    assert parse_overrides([" A=B = phone "]) == {"A=B": "phone"}


def test_terms_are_read_at_import_and_stored_one_way(db: Database) -> None:
    report = run_import(
        db,
        csv_table(
            [
                student(1, term="2024-2025 bahar dönemi"),
                student(2, term="Bahar 2019"),
                student(3, term="2019-2021 Güz"),
            ]
        ),
    )
    assert (report.imported, report.rejected) == (1, 2)
    problems = {(i.row, i.field): i.reason for i in report.issues if i.severity == "error"}
    assert "unreadable term: 'Bahar 2019'" in problems[(3, "graduation_term")]
    assert "two consecutive years" in problems[(4, "graduation_term")]
    assert [s.graduation_term for s in stored(db).values()] == ["2024-2025 Bahar"]


def test_a_wrong_term_option_is_refused_before_anything_is_read(db: Database) -> None:
    with pytest.raises(InvalidTermError, match="unreadable term"):
        run_import(db, csv_table([student(1, term="")]), term="Bahar 2024")
    assert stored(db) == {}


def test_a_formula_cell_without_a_value_is_named_not_called_missing(db: Database) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Dönem: 2024-2025 Bahar"])  # a title above the header
    keys = ("student_no", "first_name", "last_name", "faculty", "department", "consent", "term")
    sheet.append([*(COLUMNS[k] for k in keys), COLUMNS["phone"]])
    place = ["Mühendislik Fakültesi", "Bilgisayar", "Evet", TERM]
    sheet.append([20000001, "Ayşe", "=UPPER(B3)", *place, "0532 100 00 01"])
    sheet.append([20000002, "Can", "Ateş", *place, "=TEXT(A4)"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    recognise = recogniser(STUDENT_COLUMNS)
    report = run_import(db, parse_table(buffer.getvalue(), name="l.xlsx", recognise=recognise))
    assert (report.rejected, report.imported) == (1, 1)
    found = [(i.row, i.field, i.severity) for i in report.issues if i.row in (3, 4)]
    # One problem per formula cell: the surname's rejects its row, the phone's warns.
    assert found == [(3, "last_name", "error"), (4, "phone", "warning")]
    [surname] = [i.reason for i in report.issues if i.field == "last_name"]
    assert "column 'Soyadı' (C) holds a formula without a stored value (=UPPER(B3))" in surname
    assert "missing" not in surname
    assert (1, None, "warning") in [(i.row, i.field, i.severity) for i in report.issues]


def test_a_student_abroad_gets_their_own_time_zone(db: Database) -> None:
    columns = {**COLUMNS, "zone": "Saat Dilimi"}
    rows = [
        student(1, phone="+49 151 23456789"),  # Germany: one zone
        student(2, phone="+49 151 23456780", zone="america/new_york"),  # written: wins
        student(3),  # at home: the campaign's zone
        student(4, zone="Mars/Olympus"),  # not a zone: said, and not stored
    ]
    report = run_import(db, csv_table(rows, columns))
    students = stored(db)
    assert [students[str(20_000_000 + n)].timezone for n in (1, 2, 3, 4)] == [
        "Europe/Berlin",
        "America/New_York",
        None,
        None,
    ]
    assert issue_keys(report) == [(5, "20000004", "timezone", "warning")]
    assert "Mars/Olympus" in report.issues[0].reason


def test_commercial_consent_is_read_from_its_iys_column(db: Database) -> None:
    columns = {**COLUMNS, "iys": "Ticari İleti Onayı (İYS)"}
    rows = [student(1, iys="Evet"), student(2, iys="hayır"), student(3, iys="belki")]
    report = run_import(db, csv_table(rows, columns))
    students = stored(db)
    assert [students[str(20_000_000 + n)].commercial_consent for n in (1, 2, 3)] == [
        True,
        False,
        False,  # an unclear answer is not consent
    ]
    assert issue_keys(report) == [(4, "20000003", "commercial_consent", "warning")]
