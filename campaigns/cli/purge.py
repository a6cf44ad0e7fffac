"""``campaigns students purge``: anonymise the students of earlier graduation terms."""

from __future__ import annotations

from typing import Annotated

import typer

from campaigns.cli import context
from campaigns.cli.output import Yes, confirm, console, emit_table, err_console
from campaigns.core.actors import Actor
from campaigns.core.models import utcnow
from campaigns.students import purge as purging

PURGE_HELP = (
    "Eski dönem mezunlarının kişisel verilerini siler (KVKK) / erase the personal data of "
    "students who graduated before a term (KVKK).\n\n"
    "Adlar '—' olur; e-posta ve telefonlar, mesajların adresleri ve sağlayıcı olaylarının "
    "içerikleri silinir; öğrencilere artık ulaşılamaz. Satırlar, durumlar, zamanlar, maliyetler "
    "ve kayıtlar kalır: kampanya raporlarının sayıları değişmez / names become '—'; emails, "
    "phones, message addresses and provider event payloads are erased, and the students can no "
    "longer be contacted. Rows, statuses, times, costs and conversions stay: campaign reports "
    "keep their numbers.\n\n"
    "Dönemler akademik yıla, sonra Güz < Bahar < Yaz sırasına göre karşılaştırılır / terms are "
    "ordered by academic year, then Güz (fall) < Bahar (spring) < Yaz (summer)."
)


def purge(
    graduated_before: Annotated[
        str,
        typer.Option(
            "--graduated-before",
            metavar="TERM",
            help="Bu dönemden önce mezun olanlar, örn. '2020-2021 Güz' / students who "
            "graduated before this term, e.g. '2020-2021 Güz'.",
        ),
    ],
    yes: Yes = False,
) -> None:
    """Anonymise earlier cohorts (see ``PURGE_HELP``)."""
    database = context.db()
    with database.session() as session:
        plan = purging.plan_purge(session, graduated_before)
    for term in plan.unreadable:
        err_console.print(
            f"dönem anlaşılamadı, atlandı / unreadable term, left alone: {term!r}",
            highlight=False,
            markup=False,
        )
    if not plan.terms:
        console.print(
            f"{plan.before} öncesinden silinecek öğrenci yok / "
            f"no students to purge before {plan.before}",
            highlight=False,
        )
        return
    emit_table(
        ("dönem / term", "öğrenci / students"),
        [{"dönem / term": term, "öğrenci / students": n} for term, n in plan.terms.items()],
        title=f"{plan.before} öncesi / before {plan.before}",
    )
    if not yes:
        confirm(
            f"{plan.students} öğrencinin kişisel verileri geri dönüşsüz silinsin mi? / "
            f"Erase the personal data of {plan.students} students for good?"
        )
    with database.session() as session:
        result = purging.purge(session, Actor.operator(), graduated_before, now=utcnow())
    console.print(
        f"{result.students} öğrenci, {result.messages} mesaj, {result.delivery_events} olay "
        f"anonimleştirildi / students, messages, delivery events anonymised: "
        f"{result.students}, {result.messages}, {result.delivery_events}",
        highlight=False,
    )
