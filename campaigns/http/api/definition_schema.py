"""The JSON schema of a campaign definition as a request body: the campaign file's schema,
self-contained, with the keys that have defaults (``timezone``, ``only_unconverted``)
optional as they are in the file."""

from __future__ import annotations

from functools import cache
from typing import Any

from campaigns.definitions.campaign_file import CampaignDefinition

EXAMPLE: dict[str, Any] = {
    "name": "2019-2020 Mühendislik mezunları kayıt kampanyası",
    "send_window": "09:00-20:00",
    "goal_url": "https://mezun.universite.example.edu.tr/kayit",
    "audience": {"graduation_terms": ["2019-2020 Bahar"], "faculties": ["Mühendislik Fakültesi"]},
    "waves": [
        {
            "name": "duyuru-eposta",
            "offset": "0s",
            "channels": ["email"],
            "template": "registration_announcement",
        },
        {
            "name": "hatirlatma-sms",
            "offset": "3d",
            "channels": ["sms", "email"],
            "template": "registration_reminder",
        },
    ],
}


@cache
def definition_schema() -> dict[str, Any]:
    """The request body schema of ``POST /campaigns`` and ``POST /campaigns/validate``."""
    schema = CampaignDefinition.model_json_schema()
    definitions = schema.pop("$defs", {})
    inlined: dict[str, Any] = _inline(schema, definitions)
    inlined["required"] = [key for key in inlined["required"] if key != "timezone"]
    wave = inlined["properties"]["waves"]["items"]
    wave["required"] = [key for key in wave["required"] if key != "only_unconverted"]
    inlined["examples"] = [EXAMPLE]
    return inlined


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/X"}`` replaced by X (the models nest, they do
    not recurse)."""
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            target = definitions[reference.removeprefix("#/$defs/")]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**target, **rest}, definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node
