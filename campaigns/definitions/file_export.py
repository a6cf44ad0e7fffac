"""A stored campaign written back as a campaign file (TOML), to keep, share or change and
import again: the same keys the file was read with, start times in the campaign's own
time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w

from campaigns.core.models import Campaign

HEADER = (
    "# Mezun Bilgi Sistemi kayıt kampanyası / alumni registration campaign\n"
    "# Değiştirip yeniden içe aktarabilirsiniz / change it and import it again.\n\n"
)


def campaign_toml(campaign: Campaign) -> str:
    """The campaign's definition as TOML text that ``load_definition`` reads back."""
    return HEADER + tomli_w.dumps(_without_empty(local_document(campaign)))


def local_document(campaign: Campaign) -> dict[str, Any]:
    """The campaign's keys as stored, with start times read on the campaign's own clock."""
    document: dict[str, Any] = dict(campaign.definition)
    zone = ZoneInfo(campaign.timezone)
    document["waves"] = [_local_start(wave, zone) for wave in document.get("waves", [])]
    return document


def _local_start(wave: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    start = wave.get("start")
    if not isinstance(start, str):
        return wave
    local = datetime.fromisoformat(start).astimezone(zone).replace(tzinfo=None)
    return {**wave, "start": local}


def _without_empty(value: Any) -> Any:
    """Empty lists and tables left out (an audience criterion not used)."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value
