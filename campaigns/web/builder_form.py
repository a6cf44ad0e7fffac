"""The campaign builder's form and the campaign file's keys, both ways: a posted form
becomes the same data a TOML file or the API gives (checked by the same rules), and that
data fills the form again (after a problem, or to copy a campaign). Where a problem's key
path points to, the form names the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from starlette.datastructures import FormData

MAX_WAVES: Final = 10
CHANNEL_SLOTS: Final = 3
AUDIENCE_KEYS: Final = ("graduation_terms", "faculties", "departments", "degrees")

# Who a wave is for, as people choose it; each is a combination of the file's keys.
WHO: Final[dict[str, dict[str, object]]] = {
    "everyone": {"only_unconverted": False},
    "unregistered": {"only_unconverted": True},
    "form_missing": {"only_unconverted": True, "goal": "form_submitted", "requires": "registered"},
}
_WAVE_KEY = re.compile(r"waves\[(\d+)\](?:\.(\w+))?")
_WAVE_FIELDS: Final = {
    "name": "name",
    "offset": "offset",
    "start": "offset",
    "channels": "channel-0",
    "template": "template",
    "whatsapp": "content-sid",
    "goal": "who",
    "requires": "who",
    "only_unconverted": "who",
}
_FIELDS: Final = {
    "name": "name",
    "send_window": "window-start",
    "goal_url": "goal-url",
    "message_type": "message-type",
    "link_tracking": "link-tracking",
    "timezone": "timezone",
    "audience": "audience",
    "waves": "wave-0-name",
}


def document_of(form: FormData) -> dict[str, Any]:
    """The campaign file's keys from a posted builder form; blank wave rows are left out
    (a row with anything in it stays, to be checked)."""

    def text(name: str, limit: int = 2048) -> str:
        return _text(form, name, limit)

    audience = {
        key: [v.strip() for v in form.getlist(f"audience-{key}") if isinstance(v, str)][:100]
        for key in AUDIENCE_KEYS
    }
    document: dict[str, Any] = {
        "name": text("name", 200),
        "timezone": text("timezone", 64),
        "send_window": _window(text("window-start", 5), text("window-end", 5)),
        "goal_url": text("goal-url"),
        "message_type": text("message-type", 20) or "informational",
        "link_tracking": form.get("link-tracking") == "on",
        "audience": {key: values for key, values in audience.items() if values},
        "waves": [],
    }
    for row in range(MAX_WAVES):
        wave = _wave_of(form, f"wave-{row}-")
        if wave is not None:
            document["waves"].append(wave)
    return document


def _window(start: str, end: str) -> str:
    """The sending hours; from midnight to midnight is any time of day (``00:00-24:00``:
    a time field cannot say 24:00)."""
    if start == end == "00:00":
        end = "24:00"
    return f"{start}-{end}"


def _text(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _wave_of(form: FormData, prefix: str) -> dict[str, Any] | None:
    def text(name: str, limit: int) -> str:
        return _text(form, prefix + name, limit)

    channels = [text(f"channel-{slot}", 20) for slot in range(CHANNEL_SLOTS)]
    filled = [text("name", 100), text("offset", 20), text("start", 20), *channels]
    if not any(filled):
        return None
    wave: dict[str, Any] = {
        "name": text("name", 100),
        "channels": [channel for channel in channels if channel],
        "template": text("template", 200),
        **WHO.get(text("who", 20), {}),
    }
    if text("offset", 20):
        wave["offset"] = text("offset", 20)
    if text("start", 20):
        wave["start"] = text("start", 20)
    content_sid = text("content-sid", 64)
    if content_sid:
        wave["whatsapp"] = {
            "content_sid": content_sid,
            "variables": _variables(text("variables", 500)),
        }
    return wave


def _variables(text: str) -> dict[str, str]:
    """``1=first_name, 2=link`` as a mapping (the rules check names and numbers)."""
    pairs = (part.split("=", 1) for part in re.split(r"[,\n]", text) if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


def form_of(document: Mapping[str, Any], *, extra_wave: bool = False) -> dict[str, Any]:
    """What the form shows for a campaign's keys (a stored definition, or a posted form):
    every wave, and one blank row to add another when asked (or when there is none)."""
    window = str(document.get("send_window") or "09:00-20:00")
    start, _, end = window.partition("-")
    end = "00:00" if end == "24:00" else end
    audience = document.get("audience") or {}
    waves = [_wave_form(wave) for wave in document.get("waves") or [] if isinstance(wave, Mapping)]
    if (extra_wave or not waves) and len(waves) < MAX_WAVES:
        who = "unregistered" if waves else "everyone"
        waves.append(
            {
                "name": "",
                "offset": "",
                "start": "",
                "channels": [],
                "template": "",
                "who": who,
                "content_sid": "",
                "variables": "",
            }
        )
    return {
        "name": document.get("name", ""),
        "timezone": document.get("timezone", ""),
        "window_start": start,
        "window_end": end,
        "goal_url": document.get("goal_url", ""),
        "message_type": document.get("message_type", "informational"),
        "link_tracking": bool(document.get("link_tracking", True)),
        "audience": {key: list(audience.get(key) or []) for key in AUDIENCE_KEYS},
        "waves": waves,
    }


def _wave_form(wave: Mapping[str, Any]) -> dict[str, Any]:
    whatsapp = wave.get("whatsapp") or {}
    variables = whatsapp.get("variables") or {}
    if wave.get("goal") == "form_submitted":
        who = "form_missing"
    else:
        who = "unregistered" if wave.get("only_unconverted") else "everyone"
    start = wave.get("start")
    return {
        "name": wave.get("name", ""),
        "offset": wave.get("offset", ""),
        "start": str(start)[:16] if start else "",
        "channels": list(wave.get("channels") or []),
        "template": wave.get("template", ""),
        "who": who,
        "content_sid": whatsapp.get("content_sid", ""),
        "variables": ", ".join(f"{k}={v}" for k, v in variables.items()),
    }


def field_of(location: str) -> str | None:
    """The form field a problem's key path points to (``waves[1].channels[0]`` →
    ``wave-1-channel-0``), or None for the form as a whole."""
    wave = _WAVE_KEY.match(location)
    if wave:
        return f"wave-{wave[1]}-{_WAVE_FIELDS.get(wave[2] or 'name', 'name')}"
    return _FIELDS.get(location.split(".", 1)[0].split("[", 1)[0])
