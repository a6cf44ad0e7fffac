"""Campaign files: their schema, reading them from TOML, and reporting every problem at once.

A campaign file (TOML)::

    name = "2019-2020 mezunları kayıt kampanyası"
    timezone = "Europe/Istanbul"          # optional; the configured default otherwise
    send_window = "09:00-20:00"
    goal_url = "https://mezun.example.edu.tr/kayit"
    message_type = "informational"        # or "commercial": only to İYS commercial consent
    link_tracking = true                  # false: links go straight to goal_url, no clicks

    [scope]                               # optional, administrators only (see access.scopes)
    faculty = "Mühendislik Fakültesi"     # and/or advisor_email = "…"

    [audience]                            # at least one criterion; criteria combine with AND
    graduation_terms = ["2019-2020 Bahar"]  # or graduation_term = "…"
    faculties = ["Mühendislik Fakültesi"]
    departments = []
    degrees = []
    advisor_emails = []

    [[waves]]
    name = "duyuru"
    offset = "0s"                         # or start = 2025-06-02T10:00:00 (exactly one)
    channels = ["email"]                  # first reachable channel wins, the rest are fallbacks
    template = "registration_announcement"
    only_unconverted = false              # default: false for the first wave, true after

    [waves.whatsapp]                      # optional, only with the whatsapp channel
    content_sid = "HX…"                   # "HX" and 32 hexadecimal digits
    variables = { "1" = "first_name", "2" = "link" }

Problems are located by key paths such as ``waves[1].channels[0]`` (indexes count from 0).
Whether audience values and templates exist is checked against the database and the
templates directory by ``campaigns.definitions.lifecycle``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Final, Self, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from campaigns.core.durations import DurationError, format_duration, parse_duration
from campaigns.core.errors import InvalidDefinitionError, Problem
from campaigns.core.models import ConversionStage, MessageType
from campaigns.core.rendering import CONTEXT_VARIABLES
from campaigns.core.turkish_text import clean, fold
from campaigns.definitions.send_window import SendWindow, first_instant
from channels.base import Channel

AUDIENCE_KEYS: Final = ("graduation_terms", "faculties", "departments", "degrees", "advisor_emails")
"""Audience criteria as stored in ``Campaign.audience`` (lists; empty means any)."""

MAX_OFFSET_SECONDS: Final = 365 * 86_400
# Sane sizes, so that one request cannot cost minutes of checking (every value is looked up
# and may get a suggestion): said in the problem when exceeded.
MAX_VALUES: Final = 200
MAX_WAVES: Final = 20
MAX_VARIABLES: Final = 20
MAX_CHANNELS: Final = 10  # three exist; a few repeats get "already listed"
MAX_TEMPLATE_NAME: Final = 100
EARLIEST_YEAR: Final = 2000
LATEST_YEAR: Final = 2100
ROOT: Final = "(tanım / definition)"

_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
_PLACEHOLDER = re.compile(r"[1-9][0-9]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_RULE: Final = "definition_rule"


# --- single values -------------------------------------------------------------------------


def did_you_mean(
    value: str, choices: Iterable[str], *, key: Callable[[str], str] = fold
) -> tuple[str, str]:
    """``("; 'x' mi demek istediniz?", "; did you mean 'x'?")`` for the choice closest to
    ``value`` (compared through ``key``), or two empty strings."""
    by_key = {key(choice): choice for choice in choices}
    close = difflib.get_close_matches(key(value), list(by_key), n=1, cutoff=0.6)
    if not close:
        return "", ""
    choice = by_key[close[0]]
    return f"; {choice!r} mi demek istediniz?", f"; did you mean {choice!r}?"


def valid_template_name(name: str) -> bool:
    """A single directory name of a sane length: no separators, no leading dot (so never
    ``..``)."""
    return len(name) <= MAX_TEMPLATE_NAME and bool(_TEMPLATE_NAME.fullmatch(name))


def _text(max_length: int) -> AfterValidator:
    def check(value: str) -> str:
        value = clean(value)
        if not value:
            raise ValueError("boş olamaz / must not be empty")
        if len(value) > max_length:
            raise ValueError(
                f"en fazla {max_length} karakter olabilir / at most {max_length} characters"
            )
        return value

    return AfterValidator(check)


def _email(value: str) -> str:
    value = clean(value)
    if not _EMAIL.fullmatch(value):
        raise ValueError(
            f"geçerli bir e-posta adresi değil: {value!r} / not a valid email address: {value!r}"
        )
    return value


def _timezone(value: str) -> str:
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        tr, en = did_you_mean(value, _zones(), key=str.lower)
        raise ValueError(
            f"bilinmeyen saat dilimi {value!r}{tr} / unknown time zone {value!r}{en}"
        ) from None
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def goal_host(value: str) -> str | None:
    """The host of a goal URL (lower case), or None when it is not a plain http(s) URL: no
    user name or password before the host (``https://mezun.edu.tr@evil.example/`` goes to
    ``evil.example``), no spaces, backslashes or control characters."""
    if any(c.isspace() or c == "\\" or ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or "@" in parts.netloc:
        return None
    return parts.hostname or None


def _goal_url(value: str) -> str:
    value = value.strip()
    if goal_host(value) is None:
        raise ValueError(
            f"kullanıcı adı içermeyen bir http(s) adresi olmalı: {value!r} / must be an "
            f"http(s) URL without a user name: {value!r}"
        )
    return value


def _window(value: object) -> SendWindow:
    if isinstance(value, SendWindow):
        return value
    if not isinstance(value, str):
        raise ValueError('metin olmalı, örn. "09:00-20:00" / must be a string, e.g. "09:00-20:00"')
    return SendWindow.parse(value)


def _offset(value: object) -> int:
    seconds = parse_duration(value)
    if seconds > MAX_OFFSET_SECONDS:
        raise DurationError("en fazla 365 gün olabilir / at most 365 days")
    return seconds


def _start(value: object) -> datetime | None:
    """A date-time; naive ones are read in the campaign's time zone later, aware ones as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"tarih-saat anlaşılamadı: {value!r} / unreadable date-time: {value!r}"
            ) from None
    if isinstance(value, datetime) and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(
            f"yıl {EARLIEST_YEAR} ile {LATEST_YEAR} arasında olmalı / the year must lie "
            f"between {EARLIEST_YEAR} and {LATEST_YEAR}"
        )
    if not isinstance(value, datetime):
        if isinstance(value, date):
            raise ValueError(
                "saat de gerekli, örn. 2025-06-02T10:00:00 / "
                "a time of day is needed too, e.g. 2025-06-02T10:00:00"
            )
        raise ValueError(
            "tarih-saat olmalı, örn. 2025-06-02T10:00:00 / "
            "must be a date-time, e.g. 2025-06-02T10:00:00"
        )
    return value if value.tzinfo is None else value.astimezone(UTC)


def _channel(value: object) -> Channel:
    names = [channel.value for channel in Channel]
    if isinstance(value, str) and value.strip().lower() in names:
        return Channel(value.strip().lower())
    tr, en = did_you_mean(value, names) if isinstance(value, str) else ("", "")
    raise ValueError(
        f"bilinmeyen kanal {value!r}{tr} (email, sms, whatsapp) / "
        f"unknown channel {value!r}{en} (email, sms, whatsapp)"
    )


def _template(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_TEMPLATE_NAME:
        raise ValueError(
            f"en fazla {MAX_TEMPLATE_NAME} karakter olabilir / at most {MAX_TEMPLATE_NAME} "
            "characters"
        )
    if not valid_template_name(value):
        raise ValueError(
            f"şablon adı tek bir klasör adı olmalı: {value!r} / "
            f"a template is named by one directory name: {value!r}"
        )
    return value


def _content_sid(value: str) -> str:
    value = value.strip()
    if not _CONTENT_SID.fullmatch(value):
        raise ValueError(
            'onaylı şablon kimliği "HX" ve 32 onaltılık rakamdan oluşur / '
            'an approved template id is "HX" followed by 32 hexadecimal digits'
        )
    return value


def _placeholder(value: str) -> str:
    if not _PLACEHOLDER.fullmatch(value):
        raise ValueError(
            f'yer tutucular "1", "2", … diye numaralanır: {value!r} / '
            f'placeholders are numbered "1", "2", …: {value!r}'
        )
    return value


def _variable(value: str) -> str:
    value = value.strip()
    if value not in CONTEXT_VARIABLES:
        tr, en = did_you_mean(value, CONTEXT_VARIABLES)
        raise ValueError(
            f"bilinmeyen şablon değişkeni {value!r}{tr} / unknown template variable {value!r}{en}"
        )
    return value


Label = Annotated[str, _text(255)]
Email = Annotated[str, AfterValidator(_email)]


def _stage(value: object) -> ConversionStage:
    names = [stage.value for stage in ConversionStage]
    if isinstance(value, ConversionStage):
        return value
    if isinstance(value, str) and value.strip().lower() in names:
        return ConversionStage(value.strip().lower())
    tr, en = did_you_mean(value, names) if isinstance(value, str) else ("", "")
    raise ValueError(
        f"bilinmeyen aşama {value!r}{tr} (registered, form_submitted) / "
        f"unknown stage {value!r}{en} (registered, form_submitted)"
    )


_MESSAGE_TYPES: Final = {
    "informational": MessageType.INFORMATIONAL,
    "bilgilendirme": MessageType.INFORMATIONAL,
    "commercial": MessageType.COMMERCIAL,
    "ticari": MessageType.COMMERCIAL,
}


def _message_type(value: object) -> object:
    """``informational`` or ``commercial`` (Turkish: ``bilgilendirme``, ``ticari``)."""
    if isinstance(value, MessageType):
        return value
    found = _MESSAGE_TYPES.get(fold(value)) if isinstance(value, str) else None
    if found is not None:
        return found
    raise ValueError(
        f"bilinmeyen ileti türü {value!r} (informational = bilgilendirme, commercial = "
        f"ticari) / unknown message type {value!r} (informational, commercial)"
    )


ChannelName = Annotated[Channel, BeforeValidator(_channel)]
KindOfMessage = Annotated[MessageType, BeforeValidator(_message_type)]
StageName = Annotated[ConversionStage, BeforeValidator(_stage)]
Window = Annotated[
    SendWindow,
    PlainValidator(_window),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["09:00-20:00"]}),
]
Offset = Annotated[
    int,
    BeforeValidator(_offset),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["0s", "3d", "1d12h"]}),
]
Start = Annotated[datetime | None, BeforeValidator(_start)]


# --- the models ------------------------------------------------------------------------------


class _Model(BaseModel):
    # Strict: a TOML typo such as ``only_unconverted = "no"`` must not be coerced to True.
    model_config = ConfigDict(extra="forbid", strict=True)


class AudienceDefinition(_Model):
    """Who the campaign is for: students matching every given criterion."""

    graduation_terms: Annotated[list[Label], Field(max_length=MAX_VALUES)] = []
    graduation_term: Label | None = Field(default=None, exclude=True)
    faculties: Annotated[list[Label], Field(max_length=MAX_VALUES)] = []
    departments: Annotated[list[Label], Field(max_length=MAX_VALUES)] = []
    degrees: Annotated[list[Label], Field(max_length=MAX_VALUES)] = []
    advisor_emails: Annotated[list[Email], Field(max_length=MAX_VALUES)] = []

    @model_validator(mode="after")
    def _single_term(self) -> Self:
        raw = {**self.model_dump(), "graduation_term": self.graduation_term}
        _raise_rules(_audience_rules(raw, ""))
        if self.graduation_term is not None:
            self.graduation_terms = [self.graduation_term]
            self.graduation_term = None
        return self


class ScopeDefinition(_Model):
    """Whose students the campaign may reach (chosen by an administrator; everyone else's
    campaigns are declared for their own scope)."""

    faculty: Label | None = None
    advisor_email: Email | None = None


class WhatsAppOptions(_Model):
    """A provider-approved WhatsApp template and what fills its numbered placeholders."""

    content_sid: Annotated[str, AfterValidator(_content_sid)]
    variables: Annotated[
        dict[
            Annotated[str, AfterValidator(_placeholder)],
            Annotated[str, AfterValidator(_variable)],
        ],
        Field(max_length=MAX_VARIABLES),
    ] = {}


class WaveDefinition(_Model):
    """One send: when (``start`` or ``offset`` from launch), how, and with what."""

    name: Annotated[str, _text(100)]
    start: Start = None
    offset: Offset | None = None
    channels: Annotated[list[ChannelName], Field(min_length=1, max_length=MAX_CHANNELS)]
    template: Annotated[str, AfterValidator(_template)]
    only_unconverted: bool  # in a campaign, defaulted from the wave's position
    # What "converted" means for this wave, and a stage its students must have reached:
    # goal = "form_submitted" with requires = "registered" reminds those who registered
    # but have not handed in the membership form.
    goal: StageName = ConversionStage.REGISTERED
    requires: StageName | None = None
    whatsapp: WhatsAppOptions | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _raise_rules(_wave_rules(self.model_dump(), ""))
        return self

    def options(self) -> dict[str, Any]:
        """Conversion stages and provider options as stored in ``Wave.options``."""
        options: dict[str, Any] = {}
        if self.goal is not ConversionStage.REGISTERED:
            options["goal_stage"] = self.goal.value
        if self.requires is not None:
            options["requires_stage"] = self.requires.value
        if self.whatsapp is not None:
            options["whatsapp"] = self.whatsapp.model_dump(mode="json")
        return options


class CampaignDefinition(_Model):
    """A whole campaign file, normalised: naive ``start`` values resolved to UTC."""

    name: Label
    audience: AudienceDefinition
    timezone: Annotated[str, AfterValidator(_timezone)]
    send_window: Window
    goal_url: Annotated[str, AfterValidator(_goal_url)]
    # Informational (the default) or commercial: a commercial campaign reaches only
    # students whose commercial consent is recorded in İYS.
    message_type: KindOfMessage = MessageType.INFORMATIONAL
    # False: links go straight to goal_url and no click is counted.
    link_tracking: bool = True
    waves: Annotated[list[WaveDefinition], Field(min_length=1, max_length=MAX_WAVES)]
    scope: ScopeDefinition | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_only_unconverted(cls, data: Any) -> Any:
        # Later waves are reminders: by default they skip students who already registered.
        if isinstance(data, Mapping) and isinstance(data.get("waves"), list):
            waves = [
                {"only_unconverted": position > 0, **wave} if isinstance(wave, Mapping) else wave
                for position, wave in enumerate(data["waves"])
            ]
            return {**data, "waves": waves}
        return data

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _raise_rules(_duplicate_wave_names([wave.name for wave in self.waves]))
        for wave in self.waves:
            if wave.start is not None and wave.start.tzinfo is None:
                wave.start = first_instant(wave.start, self.zone)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_document(self) -> dict[str, Any]:
        """The normalised definition as JSON-ready data, readable again by ``parse_definition``."""
        return self.model_dump(mode="json", exclude_none=True)


# --- reading ---------------------------------------------------------------------------------


def load_definition(text: str, *, default_timezone: str) -> CampaignDefinition:
    """Read a campaign file's TOML text; ``InvalidDefinitionError`` lists every problem."""
    return parse_definition(parse_toml(text), default_timezone=default_timezone)


def parse_toml(text: str) -> dict[str, Any]:
    """TOML text as data; a syntax error is reported with its line and column."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise InvalidDefinitionError(
            [Problem(ROOT, "TOML çok derin iç içe / the TOML is nested too deeply")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position and position[1]:
            line, column = position[1], position[2]
            location = f"satır {line}, sütun {column} / line {line}, column {column}"
        else:
            location = "dosya sonu / end of file" if position else ROOT
        reason = _TOML_POSITION.sub("", message)
        raise InvalidDefinitionError(
            [Problem(location, f"TOML sözdizimi hatası / TOML syntax error: {reason}")]
        ) from None


def parse_definition(data: Mapping[str, Any], *, default_timezone: str) -> CampaignDefinition:
    """Validate campaign data (parsed TOML or JSON); ``InvalidDefinitionError`` lists every
    problem. ``timezone`` defaults to ``default_timezone``."""
    if not isinstance(data, Mapping):
        raise InvalidDefinitionError([Problem(ROOT, "tablo olmalı / must be a table")])
    data = {"timezone": default_timezone, **data}
    try:
        return CampaignDefinition.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = [_problem(e) for e in errors if e["type"] != _RULE]
        # Rules spanning several keys only run in pydantic once every key is valid; checking
        # them on the raw data as well reports them alongside the other problems.
        problems += _rule_problems(data)
        if not problems:
            problems = [_problem(e) for e in errors]
        raise InvalidDefinitionError(ordered(problems)) from None


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Problems without repeats, in the order of the keys in a campaign file."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda problem: _location_key(problem.location))


# --- rules spanning several keys -------------------------------------------------------------


def _rule_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Problems with combinations of keys, found in raw (possibly otherwise invalid) data."""
    problems: list[Problem] = []
    audience = data.get("audience")
    if isinstance(audience, Mapping):
        problems += _audience_rules(audience, "audience")
    waves = data.get("waves")
    if isinstance(waves, list) and len(waves) <= MAX_WAVES:  # more: the schema says so
        names: list[object] = []
        for position, wave in enumerate(waves):
            if isinstance(wave, Mapping):
                problems += _wave_rules(wave, f"waves[{position}]")
                names.append(wave.get("name"))
            else:
                names.append(None)
        problems += _duplicate_wave_names(names)
    return problems


def _audience_rules(audience: Mapping[str, Any], at: str) -> list[Problem]:
    problems: list[Problem] = []
    if audience.get("graduation_term") is not None and audience.get("graduation_terms"):
        problems.append(
            Problem(
                _join(at, "graduation_term"),
                "graduation_term ile graduation_terms birlikte kullanılamaz / "
                "use graduation_term or graduation_terms, not both",
            )
        )
    if not any(audience.get(key) for key in (*AUDIENCE_KEYS, "graduation_term")):
        problems.append(
            Problem(
                at or ROOT,
                f"en az bir ölçüt gerekli ({', '.join(AUDIENCE_KEYS)}) / "
                "at least one criterion is needed",
            )
        )
    return problems


def _wave_rules(wave: Mapping[str, Any], at: str) -> list[Problem]:
    problems: list[Problem] = []
    has_start = wave.get("start") is not None
    has_offset = wave.get("offset") is not None
    if has_start and has_offset:
        problems.append(
            Problem(
                at or ROOT,
                "start ile offset birlikte verilemez, birini seçin / "
                "give either start or offset, not both",
            )
        )
    elif not has_start and not has_offset:
        problems.append(
            Problem(
                at or ROOT,
                'start (tarih-saat) ya da offset (örn. "3d") gerekli / '
                'start (a date-time) or offset (e.g. "3d") is required',
            )
        )
    channels = wave.get("channels")
    names = (
        [c.strip().lower() if isinstance(c, str) else None for c in channels]
        if isinstance(channels, list) and len(channels) <= MAX_CHANNELS
        else []
    )
    for index, name in enumerate(names):
        if name is not None and name in names[:index]:
            problems.append(
                Problem(
                    _join(at, f"channels[{index}]"),
                    f"{name!r} kanalı zaten listede / channel {name!r} is already listed",
                )
            )
    goal, requires = wave.get("goal", ConversionStage.REGISTERED.value), wave.get("requires")
    if requires is not None and str(requires) == str(goal):
        problems.append(
            Problem(
                _join(at, "requires"),
                "requires ile goal aynı olamaz / requires cannot be the wave's own goal",
            )
        )
    if wave.get("whatsapp") is not None and isinstance(channels, list) and "whatsapp" not in names:
        problems.append(
            Problem(
                _join(at, "whatsapp"),
                "whatsapp tablosu var ama kanallarda whatsapp yok / "
                "a whatsapp table is given but whatsapp is not among the channels",
            )
        )
    return problems


def _duplicate_wave_names(names: list[object]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not isinstance(name, str) or not fold(name):
            continue
        first = seen.setdefault(fold(name), position)
        if first != position:
            problems.append(
                Problem(
                    f"waves[{position}].name",
                    f"{name!r} adı waves[{first}] için de kullanılmış / "
                    f"name {name!r} is already used by waves[{first}]",
                )
            )
    return problems


def _raise_rules(problems: list[Problem]) -> None:
    if problems:
        reason = "; ".join(str(problem) for problem in problems)
        raise PydanticCustomError(_RULE, "{reason}", {"reason": reason})


# --- pydantic errors as problems -------------------------------------------------------------

_MESSAGES: Final = {
    "missing": "zorunlu anahtar eksik / required key is missing",
    "string_type": "metin olmalı / must be a string",
    "list_type": 'liste olmalı, örn. ["…"] / must be a list, e.g. ["…"]',
    "bool_type": "true ya da false olmalı / must be true or false",
    "model_type": "tablo olmalı / must be a table",
    "model_attributes_type": "tablo olmalı / must be a table",
    "dict_type": "tablo olmalı / must be a table",
    "too_short": "en az bir öğe gerekli / at least one item is needed",
    "too_long": "en fazla {max_length} öğe olabilir / at most {max_length} items",
    "recursion_loop": "çok derin iç içe / nested too deeply",
}


def _problem(error: ErrorDetails) -> Problem:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    return Problem(_location(loc), _reason(error, loc))


def _reason(error: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "value_error" and "error" in context:
        return str(context["error"])
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        model = _model_at(loc[:-1])
        tr, en = did_you_mean(key, model.model_fields) if model else ("", "")
        return f"bilinmeyen anahtar{tr} / unknown key{en}"
    if kind in _MESSAGES:
        return _MESSAGES[kind].format(max_length=context.get("max_length", ""))
    return f"geçersiz değer / invalid value ({error['msg']})"


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            text += f".{key}" if text else key
    return text or ROOT


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = CampaignDefinition
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        nested = _nested_model(field.annotation) if field else None
        if nested is None:
            return None
        model = nested
    return model


def _nested_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _nested_model(argument)
        if found is not None:
            return found
    return None


def _join(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


@cache
def _key_ranks() -> dict[str, int]:
    ranks: dict[str, int] = {}
    for model in (
        CampaignDefinition,
        AudienceDefinition,
        WaveDefinition,
        WhatsAppOptions,
        ScopeDefinition,
    ):
        for name in model.model_fields:
            ranks.setdefault(name, len(ranks))
    return ranks


def _location_key(location: str) -> list[tuple[int, int, str]]:
    ranks = _key_ranks()
    key: list[tuple[int, int, str]] = []
    for index, name in re.findall(r"\[(\d+)\]|([^.\[\]]+)", location):
        if index:
            key.append((0, int(index), ""))
        else:
            key.append((1, ranks.get(name.strip('"'), len(ranks)), name))
    return key
