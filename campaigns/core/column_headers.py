"""Recognise which column of a file holds which field, from the header's wording.

Headers are compared after ``fold()``, so case, Turkish letters, accents and punctuation do
not matter: "ÖĞRENCİ NO", "Öğrenci No." and "ogrenci no" are the same header; nor do spaces
("E-posta", "Eposta", "E posta"). A field's own name ("student_no") is always a synonym.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from campaigns.core.errors import UnreadableFileError
from campaigns.core.tabular_files import Cell, Row
from campaigns.core.turkish_text import clean, fold

FieldSpec = Mapping[str, Sequence[str]]
"""Each field with the header wordings that mean it, best first."""

_PARENTHESISED = re.compile(r"\([^)]*\)")


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Where each recognised field is, and which header cells meant nothing."""

    headers: tuple[str, ...]
    columns: Mapping[str, int]
    unrecognised: tuple[str, ...]

    def has(self, field: str) -> bool:
        return field in self.columns

    def value(self, row: Row, field: str) -> Cell:
        """The row's cell for ``field``; ``""`` when the file has no such column."""
        index = self.columns.get(field)
        return "" if index is None else row.cell(index)


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["Column Name=field", ...]`` as ``{"Column Name": "field"}``."""
    overrides: dict[str, str] = {}
    for item in items:
        column, separator, field = item.rpartition("=")
        if not separator or not clean(column) or not clean(field):
            raise UnreadableFileError(
                f"--map değeri 'Sütun Adı=alan' biçiminde olmalı: {item!r} / "
                f"--map must look like 'Column Name=field': {item!r}"
            )
        overrides[clean(column)] = clean(field)
    return overrides


def map_columns(
    headers: Sequence[str],
    spec: FieldSpec,
    *,
    required: Sequence[str] = (),
    overrides: Mapping[str, str] | None = None,
) -> ColumnMap:
    """Map header cells to the fields of ``spec``.

    ``overrides`` (column name → field) win over recognition. When two columns could mean the
    same field, the one whose wording comes first in the spec wins and the other is left
    unrecognised; two columns with the same wording are ambiguous and an error. Raises
    ``UnreadableFileError`` for a bad override or a missing ``required`` field.
    """
    columns = _apply_overrides(headers, spec, overrides or {})
    ranked = _rank_candidates(headers, spec, taken=set(columns.values()), fields=set(columns))
    for field, candidates in ranked.items():
        best_rank = min(rank for rank, _ in candidates)
        best = [index for rank, index in candidates if rank == best_rank]
        if len(best) > 1:
            names = ", ".join(repr(headers[i]) for i in best)
            raise UnreadableFileError(
                f"'{field}' alanı için birden çok sütun var ({names}); --map ile birini seçin / "
                f"several columns could be '{field}' ({names}): choose one with --map"
            )
        columns[field] = best[0]

    missing = [f for f in required if f not in columns]
    if missing:
        raise missing_columns_error(missing, headers)
    used = set(columns.values())
    unrecognised = tuple(h for i, h in enumerate(headers) if h and i not in used)
    return ColumnMap(headers=tuple(headers), columns=columns, unrecognised=unrecognised)


def recogniser(spec: FieldSpec) -> Callable[[Sequence[str]], int]:
    """How many cells of a row ``spec`` knows as headers: finds the header row of a file
    whose first rows are a title or a note."""
    wordings = {_key(w) for field, synonyms in spec.items() for w in (*synonyms, field)}

    def recognised(cells: Sequence[str]) -> int:
        return sum(
            1
            for cell in cells
            if cell and (_key(cell) in wordings or _key(_PARENTHESISED.sub(" ", cell)) in wordings)
        )

    return recognised


def missing_columns_error(
    missing: Sequence[str], headers: Sequence[str], notes: Sequence[str] = ()
) -> UnreadableFileError:
    """The error for required fields no column was found for (``notes``: what the reader
    said about the file, e.g. that other sheets exist)."""
    wanted = ", ".join(missing)
    found = ", ".join(repr(h) for h in headers if h) or "—"
    said = "".join(f" — {note}" for note in notes)
    return UnreadableFileError(
        f"gerekli sütun bulunamadı: {wanted} (başlık olarak okunan sütunlar: {found}); "
        f"sütun adını düzeltin, --map 'Sütun Adı={missing[0]}' kullanın ya da başlık başka "
        f"bir satırdaysa --header-row N verin / required column not found: {wanted} (columns "
        f"read as the header: {found}); rename the column, use --map "
        f"'Column Name={missing[0]}', or give --header-row N if the header is on another row"
        f"{said}"
    )


def _apply_overrides(
    headers: Sequence[str], spec: FieldSpec, overrides: Mapping[str, str]
) -> dict[str, int]:
    by_key = {_key(h): i for i, h in reversed(list(enumerate(headers))) if h}
    fields_by_key = {_key(f): f for f in spec}
    columns: dict[str, int] = {}
    for column, wanted in overrides.items():
        field = fields_by_key.get(_key(wanted))
        if field is None:
            known = ", ".join(spec)
            raise UnreadableFileError(
                f"--map: bilinmeyen alan {wanted!r} (geçerli alanlar: {known}) / "
                f"unknown field {wanted!r} (valid fields: {known})"
            )
        index = by_key.get(_key(column))
        if index is None:
            found = ", ".join(repr(h) for h in headers if h)
            raise UnreadableFileError(
                f"--map: dosyada {column!r} sütunu yok (dosyadaki sütunlar: {found}) / "
                f"the file has no column {column!r} (columns in the file: {found})"
            )
        if field in columns or index in columns.values():
            raise UnreadableFileError(
                f"--map: {column!r} veya {field!r} birden çok kez eşlendi / "
                f"{column!r} or {field!r} is mapped more than once"
            )
        columns[field] = index
    return columns


def _rank_candidates(
    headers: Sequence[str], spec: FieldSpec, *, taken: set[int], fields: set[str]
) -> dict[str, list[tuple[int, int]]]:
    """For each field not yet placed, the free columns that could hold it, with their rank."""
    wording: dict[str, tuple[str, int]] = {}
    for field, synonyms in spec.items():
        if field in fields:
            continue
        for rank, synonym in enumerate([*synonyms, field]):
            wording.setdefault(_key(synonym), (field, rank))

    candidates: dict[str, list[tuple[int, int]]] = {}
    for index, header in enumerate(headers):
        if index in taken or not header:
            continue
        # "Cep Telefonu (GSM)" is still a mobile number column.
        match = wording.get(_key(header)) or wording.get(_key(_PARENTHESISED.sub(" ", header)))
        if match is not None:
            field, rank = match
            candidates.setdefault(field, []).append((rank, index))
    return candidates


def _key(header: str) -> str:
    return fold(header).replace(" ", "")
