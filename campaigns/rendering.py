"""Message templates: which parts each channel needs and how they are found on disk.

Templates live in ``<templates_dir>/<template>/<part>.<language>.j2``.
"""

from __future__ import annotations

from pathlib import Path

from channels.base import Channel

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


def part_path(templates_dir: Path, template: str, part: str, language: str) -> Path:
    return templates_dir / template / f"{part}.{language}.j2"


def missing_parts(templates_dir: Path, template: str, channel: Channel) -> list[str]:
    """Parts of ``template`` that ``channel`` needs but that have no default-language file."""
    return [
        part
        for part in PARTS[channel]
        if not part_path(templates_dir, template, part, DEFAULT_LANGUAGE).is_file()
    ]
