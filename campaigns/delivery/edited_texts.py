"""Message texts edited in the web app: every save is a new version (who, when), the newest
stands in for the template file of the same name, and the files stay the defaults (a
version without a body gives the file back). A text is rendered in the same sandbox, for a
sample student, before it is saved; senders pick new versions up at their next batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError, NotFoundError
from campaigns.core.models import TemplateText
from campaigns.core.rendering import (
    DEFAULT_LANGUAGE,
    PARTS,
    Renderer,
    TemplateRenderError,
    message_context,
    part_path,
    template_names,
)
from campaigns.core.settings import Settings

LANGUAGES: Final = (DEFAULT_LANGUAGE, "en")
ALL_PARTS: Final = tuple(part for parts in PARTS.values() for part in parts)
MAX_TEXT: Final = 20_000
TEXT_EDIT: Final = "template.edit"
SAMPLE_STUDENT: Final = {
    "student_no": "20200001",
    "first_name": "Ayşe",
    "last_name": "Yılmaz",
    "faculty": "Mühendislik Fakültesi",
    "department": "Bilgisayar Mühendisliği",
    "degree": "lisans",
    "advisor_name": "Dr. Öğr. Üyesi Kemal Işık",
    "advisor_email": "kemal.isik@universite.example.edu.tr",
    "graduation_term": "2019-2020 Bahar",
}


class InvalidTextError(CampaignsError):
    """A text that cannot be rendered: nothing was saved."""


@dataclass(frozen=True, slots=True)
class TextState:
    """What a part says now, and where that comes from."""

    template: str
    part: str
    language: str
    text: str
    edited: TemplateText | None
    """The newest saved version, when one stands in for the file."""


def file_name(template: str, part: str, language: str) -> str:
    return f"{template}/{part}.{language}.j2"


def texts_version(session: Session) -> int:
    """Changes whenever a version is saved (one index lookup): senders compare it."""
    return session.scalar(select(func.max(TemplateText.id))) or 0


def edited_texts(session: Session) -> dict[str, str]:
    """The texts standing in for files now, by file name."""
    newest = (
        select(
            TemplateText.template,
            TemplateText.part,
            TemplateText.language,
            func.max(TemplateText.version).label("version"),
        )
        .group_by(TemplateText.template, TemplateText.part, TemplateText.language)
        .subquery()
    )
    rows = session.execute(
        select(TemplateText.template, TemplateText.part, TemplateText.language, TemplateText.body)
        .join(
            newest,
            (newest.c.template == TemplateText.template)
            & (newest.c.part == TemplateText.part)
            & (newest.c.language == TemplateText.language)
            & (newest.c.version == TemplateText.version),
        )
        .where(TemplateText.body.is_not(None))
    )
    return {file_name(t, p, lang): body for t, p, lang, body in rows if body is not None}


def renderer_for(session: Session, settings: Settings) -> Renderer:
    """A renderer of the files with today's edited texts in their place."""
    return Renderer(settings.templates_dir, edited_texts(session))


def editable(settings: Settings) -> list[tuple[str, str, str]]:
    """Every (template, part, language) that can be edited: each template folder's parts,
    in each language the service writes."""
    return [
        (template, part, language)
        for template in template_names(settings.templates_dir)
        for part in ALL_PARTS
        for language in LANGUAGES
    ]


def _known(settings: Settings, template: str, part: str, language: str) -> None:
    known = part in ALL_PARTS and language in LANGUAGES
    if not known or template not in template_names(settings.templates_dir):
        raise NotFoundError(
            f"düzenlenebilir bir metin değil / not an editable text: "
            f"{file_name(template, part, language)}"
        )


def history(session: Session, template: str, part: str, language: str) -> Sequence[TemplateText]:
    """Every saved version of a part, newest first."""
    return session.scalars(
        select(TemplateText)
        .where(
            TemplateText.template == template,
            TemplateText.part == part,
            TemplateText.language == language,
        )
        .order_by(TemplateText.version.desc())
    ).all()


def current(
    session: Session, settings: Settings, template: str, part: str, language: str
) -> TextState:
    """What the part says now: its newest saved version, else its file (empty when the file
    does not exist: the part then falls back to Turkish)."""
    _known(settings, template, part, language)
    versions = history(session, template, part, language)
    newest = versions[0] if versions else None
    if newest is not None and newest.body is not None:
        return TextState(template, part, language, newest.body, newest)
    path = part_path(settings.templates_dir, template, part, language)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return TextState(template, part, language, text, None)


def try_text(settings: Settings, template: str, part: str, language: str, text: str) -> str:
    """The text rendered in the message sandbox for a sample student (what a student would
    read); ``InvalidTextError`` with the problem and its line when it cannot be rendered."""
    _known(settings, template, part, language)
    if len(text) > MAX_TEXT:
        raise InvalidTextError(
            f"metin çok uzun (en fazla {MAX_TEXT} karakter) / "
            f"the text is too long (at most {MAX_TEXT} characters)"
        )
    renderer = Renderer(settings.templates_dir, {file_name(template, part, language): text})
    context = message_context(
        SAMPLE_STUDENT,
        campaign_name="2019-2020 Mezunları",
        wave_name="hatirlatma",
        goal_url="https://mezun.universite.example.edu.tr/kayit",
        link=f"{settings.public_url}/r/örnek",
        alumni_office_email=settings.alumni_office_email,
    )
    try:
        return renderer.render_part(template, part, language, context)
    except TemplateRenderError as exc:
        raise InvalidTextError(exc.detail) from None


def save(
    session: Session,
    actor: Actor,
    settings: Settings,
    template: str,
    part: str,
    language: str,
    text: str | None,
) -> TemplateText:
    """A new version of a part (``None``: back to the file), checked in the sandbox first;
    administrators only, audited."""
    actor.must_be_admin(
        "mesaj metinlerini Mezunlar Ofisi düzenler / the alumni office edits message texts"
    )
    _known(settings, template, part, language)
    if text is not None:
        text = text.replace("\r\n", "\n")
        if not text.strip():
            raise InvalidTextError("metin boş olamaz / the text cannot be empty")
        try_text(settings, template, part, language, text)
    versions = history(session, template, part, language)
    version = TemplateText(
        template=template,
        part=part,
        language=language,
        version=(versions[0].version + 1) if versions else 1,
        body=text,
        created_by=actor.name,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor.name,
        TEXT_EDIT,
        f"template:{file_name(template, part, language)}",
        {"version": version.version, "file_default": text is None},
    )
    return version
