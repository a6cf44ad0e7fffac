"""Message templates: which parts each channel needs, how they are found on disk, rendering.

Templates live in ``<templates_dir>/<template>/<part>.<language>.j2``. They are rendered in a
Jinja2 sandbox with strict undefined variables; student data only ever enters a template as a
variable, so a name such as ``{{ 7*7 }}`` prints as typed. Only the HTML part is autoescaped.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    DictLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
)
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import soft_str

from campaigns.core.turkish_text import turkish_lower, turkish_upper
from channels.base import Channel, PermanentError

DEFAULT_LANGUAGE = "tr"
LANGUAGES = ("tr", "en")

PARTS: dict[Channel, tuple[str, ...]] = {
    Channel.EMAIL: ("email.subject", "email.txt", "email.html"),
    Channel.SMS: ("sms",),
    Channel.WHATSAPP: ("whatsapp",),
}

CONTEXT_VARIABLES = (
    "student_no",
    "first_name",
    "last_name",
    "full_name",
    "faculty",
    "department",
    "degree",
    "advisor_name",
    "advisor_email",
    "graduation_term",
    "campaign_name",
    "wave_name",
    "goal_url",
    "link",
    "alumni_office_email",
)

STUDENT_ATTRIBUTES = (
    "student_no",
    "first_name",
    "last_name",
    "faculty",
    "department",
    "degree",
    "advisor_name",
    "advisor_email",
    "graduation_term",
)

_STRIPPED_PARTS = frozenset({"sms", "whatsapp"})
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")
_REDACTED = "…"


def part_path(templates_dir: Path, template: str, part: str, language: str) -> Path:
    return templates_dir / template / f"{part}.{language}.j2"


def template_names(templates_dir: Path) -> list[str]:
    """The templates a wave can name: the folders of ``templates_dir``."""
    if not templates_dir.is_dir():
        return []
    return sorted(p.name for p in templates_dir.iterdir() if p.is_dir() and p.name[0] != ".")


def missing_parts(templates_dir: Path, template: str, channel: Channel) -> list[str]:
    """Parts of ``template`` that ``channel`` needs but that have no default-language file."""
    return [
        part
        for part in PARTS[channel]
        if not part_path(templates_dir, template, part, DEFAULT_LANGUAGE).is_file()
    ]


class TemplateRenderError(PermanentError):
    """A template cannot be rendered. The message names the part and the problem, never data."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="template")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """What a channel sends: a one-line subject and HTML for email, text for every channel."""

    subject: str | None
    text: str
    html: str | None


def is_html_template(name: str | None) -> bool:
    """Autoescape predicate: ``<template>/email.html.<language>.j2`` is HTML, other parts not."""
    if name is None:
        return False
    part = name.rpartition("/")[2].removesuffix(".j2").rpartition(".")[0]
    return part == "html" or part.endswith(".html")


def upper_tr(value: object) -> str:
    """Jinja filter: upper case with Turkish rules; HTML-safe strings stay safe."""
    return turkish_upper(soft_str(value))


def lower_tr(value: object) -> str:
    """Jinja filter: lower case with Turkish rules; HTML-safe strings stay safe."""
    return turkish_lower(soft_str(value))


class _MessageEnvironment(SandboxedEnvironment):
    """The sandbox with each template's globals flattened into one dict when it is loaded.

    Jinja keeps them as a ``ChainMap`` over the environment's globals and iterates it twice
    per render (a third of the time of rendering a short SMS); nothing here changes globals
    after loading, which is the case Jinja's documentation asks for.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class Renderer:
    """Renders the parts of message templates; each template file is compiled once.

    ``texts`` are texts edited in the web app by file name (``registration_reminder/
    sms.tr.j2``): they stand in for the files, which stay the defaults.
    """

    def __init__(self, templates_dir: Path, texts: Mapping[str, str] | None = None) -> None:
        self.templates_dir = templates_dir
        files = FileSystemLoader(templates_dir, encoding="utf-8")
        self.environment = _MessageEnvironment(
            loader=ChoiceLoader([DictLoader(dict(texts)), files]) if texts else files,
            undefined=StrictUndefined,
            autoescape=is_html_template,
            keep_trailing_newline=False,
            # Block tags on lines of their own leave no blank lines in text parts.
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates ship with the code: no per-render stat of the file.
            auto_reload=False,
        )
        self.environment.filters["upper_tr"] = upper_tr
        self.environment.filters["lower_tr"] = lower_tr
        self._templates: dict[tuple[str, str, str], Template] = {}

    def render(
        self, template: str, channel: Channel, language: str, context: Mapping[str, object]
    ) -> RenderedMessage:
        """Every part ``channel`` needs, in ``language`` or else Turkish."""
        texts = {
            part: self.render_part(template, part, language, context) for part in PARTS[channel]
        }
        if channel is Channel.EMAIL:
            return RenderedMessage(
                subject=texts["email.subject"], text=texts["email.txt"], html=texts["email.html"]
            )
        return RenderedMessage(subject=None, text=texts[PARTS[channel][0]], html=None)

    def render_part(
        self, template: str, part: str, language: str, context: Mapping[str, object]
    ) -> str:
        """One part, normalised: a subject on one line, SMS and WhatsApp text stripped."""
        compiled = self.template(template, part, language)
        try:
            text = compiled.render(context)
        except Exception as exc:  # anything a template does wrong is the template's fault
            raise TemplateRenderError(
                _describe(compiled.name, _template_line(exc, compiled), exc, context)
            ) from None
        if part == "email.subject":
            return " ".join(text.split())
        if part in _STRIPPED_PARTS:
            return text.strip()
        return text

    def source_name(self, template: str, part: str, language: str) -> str:
        """The file a part is rendered from, e.g. ``registration_reminder/sms.tr.j2``."""
        return self.template(template, part, language).name or ""

    def template(self, template: str, part: str, language: str) -> Template:
        """The compiled template of a part in ``language``, falling back to Turkish."""
        key = (template, part, language)
        compiled = self._templates.get(key)
        if compiled is None:
            compiled = self._load(template, part, language)
            self._templates[key] = compiled
        return compiled

    def _load(self, template: str, part: str, language: str) -> Template:
        names = [f"{template}/{part}.{code}.j2" for code in _candidate_languages(language)]
        for name in names:
            try:
                return self.environment.get_template(name)
            except TemplateNotFound:
                continue
            except Exception as exc:  # syntax errors, undecodable files
                line = getattr(exc, "lineno", None)
                raise TemplateRenderError(_describe(name, line, exc, {})) from None
        raise TemplateRenderError(f"şablon bulunamadı / template not found: {names[-1]}") from None


def _candidate_languages(language: str) -> list[str]:
    """``"en-GB"`` → ``["en-gb", "en", "tr"]``; anything that is not a language code → Turkish."""
    code = (language or "").strip().lower().replace("_", "-")
    candidates = []
    if _LANGUAGE.fullmatch(code):
        candidates = [code, code.partition("-")[0]]
    candidates.append(DEFAULT_LANGUAGE)
    return list(dict.fromkeys(candidates))


def _template_line(exc: BaseException, compiled: Template) -> int | None:
    """The template line an error was raised on (Jinja rewrites tracebacks to point at it)."""
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == compiled.filename]
    return frames[-1].lineno if frames else None


def _describe(
    name: str | None, line: int | None, exc: BaseException, context: Mapping[str, object]
) -> str:
    where = name or "?"
    if line is not None:
        where += f", satır / line {line}"
    problem = _redact(getattr(exc, "message", None) or str(exc), context)
    kind = type(exc).__name__
    return f"şablon hatası / template error in {where}: {kind}: {problem}".removesuffix(": ")


def _redact(message: str, context: Mapping[str, object]) -> str:
    """The message with every context value cut out (Jinja quotes missing keys, i.e. data)."""
    values = {str(value) for value in context.values()}
    needles = {repr(value) for value in values if value}
    needles |= {value for value in values if len(value) >= 3}
    for needle in sorted(needles, key=len, reverse=True):
        message = message.replace(needle, _REDACTED)
    return message


def message_context(
    student: object,
    *,
    campaign_name: str,
    wave_name: str,
    goal_url: str,
    link: str,
    alumni_office_email: str,
) -> dict[str, str]:
    """Exactly the ``CONTEXT_VARIABLES`` for one student (a mapping, such as a result row's
    ``_mapping``, or any object with ``Student``'s attribute names); values are as stored
    (trimmed and NFC-normalised on import), ``None`` becomes ``""``."""
    # This runs for every message sent: a mapping is read without attribute lookups.
    if isinstance(student, Mapping):
        values = [student[name] for name in STUDENT_ATTRIBUTES]
    else:
        values = [getattr(student, name) for name in STUDENT_ATTRIBUTES]
    no, first, last, faculty, department, degree, advisor, advisor_email, term = (
        "" if value is None else str(value) for value in values
    )
    return {
        "student_no": no,
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "faculty": faculty,
        "department": department,
        "degree": degree,
        "advisor_name": advisor,
        "advisor_email": advisor_email,
        "graduation_term": term,
        "campaign_name": campaign_name,
        "wave_name": wave_name,
        "goal_url": goal_url,
        "link": link,
        "alumni_office_email": alumni_office_email,
    }


def whatsapp_variables(context: Mapping[str, str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Values of an approved WhatsApp template's placeholders: ``{"1": "first_name"}`` →
    ``{"1": "Ayşe"}``."""
    unknown = sorted(f"{key}={name}" for key, name in mapping.items() if name not in context)
    if unknown:
        raise TemplateRenderError(
            "WhatsApp şablon değişkeni bilinmeyen bir alanı istiyor / WhatsApp template "
            f"variable names an unknown field: {', '.join(unknown)}"
        )
    return {key: context[name] for key, name in mapping.items()}
