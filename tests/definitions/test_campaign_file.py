"""Campaign files: schema, defaults and the problems reported for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from campaigns.core.errors import InvalidDefinitionError, Problem
from campaigns.definitions.campaign_file import (
    CampaignDefinition,
    load_definition,
    parse_definition,
    parse_toml,
)
from channels.base import Channel

VALID = """
name = "Kayıt kampanyası"
send_window = "09:00-20:00"
goal_url = "https://mezun.universite.example.edu.tr/kayit"

[audience]
graduation_terms = ["2019-2020 Bahar"]

[[waves]]
name = "duyuru"
offset = "0s"
channels = ["email"]
template = "registration_announcement"

[[waves]]
name = "hatırlatma"
offset = "1d12h"
channels = ["sms", "email"]
template = "registration_reminder"

[[waves]]
name = "whatsapp"
start = 2025-06-09T10:00:00
channels = ["whatsapp", "sms"]
template = "registration_reminder"
only_unconverted = false

[waves.whatsapp]
content_sid = "HX0123456789abcdef0123456789ABCDEF"
variables = { "1" = "first_name", "2" = "link" }
"""


def load(text: str, timezone: str = "Europe/Istanbul") -> CampaignDefinition:
    return load_definition(text, default_timezone=timezone)


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(InvalidDefinitionError) as caught:
        load(text)
    return caught.value.problems


def locations(problems: list[Problem]) -> list[str]:
    return [problem.location for problem in problems]


def data(**changes: Any) -> dict[str, Any]:
    """The valid file as data, with top-level keys replaced."""
    return {**parse_toml(VALID), **changes}


def wave(**fields: Any) -> dict[str, Any]:
    return {"name": "w", "offset": "0s", "channels": ["email"], "template": "t", **fields}


def test_a_valid_file() -> None:
    definition = load(VALID)
    assert definition.name == "Kayıt kampanyası"
    assert definition.timezone == "Europe/Istanbul"  # the default
    assert str(definition.send_window) == "09:00-20:00"
    assert definition.audience.graduation_terms == ["2019-2020 Bahar"]
    assert [w.offset for w in definition.waves] == [0, 129_600, None]
    assert definition.waves[1].channels == [Channel.SMS, Channel.EMAIL]
    assert definition.waves[2].options() == {
        "whatsapp": {
            "content_sid": "HX0123456789abcdef0123456789ABCDEF",
            "variables": {"1": "first_name", "2": "link"},
        }
    }


def test_a_local_start_is_read_in_the_campaign_time_zone() -> None:
    istanbul = load(VALID)
    berlin = load(VALID.replace('name = "Kayıt', 'timezone = "Europe/Berlin"\nname = "Kayıt'))
    assert istanbul.waves[2].start == datetime(2025, 6, 9, 7, 0, tzinfo=UTC)
    assert berlin.waves[2].start == datetime(2025, 6, 9, 8, 0, tzinfo=UTC)  # CEST
    assert load(VALID, timezone="Europe/Berlin").timezone == "Europe/Berlin"


def test_an_offset_start_is_kept_as_the_instant_it_names() -> None:
    definition = load(VALID.replace("2025-06-09T10:00:00", "2025-06-09T10:00:00+01:00"))
    assert definition.waves[2].start == datetime(2025, 6, 9, 9, 0, tzinfo=UTC)


def test_only_unconverted_defaults_to_false_first_then_true() -> None:
    text = VALID.replace("only_unconverted = false\n", "")
    assert [w.only_unconverted for w in load(text).waves] == [False, True, True]
    explicit = load(VALID)  # the third wave says false
    assert [w.only_unconverted for w in explicit.waves] == [False, True, False]
    first_true = parse_definition(
        data(waves=[wave(only_unconverted=True)]), default_timezone="Europe/Istanbul"
    )
    assert first_true.waves[0].only_unconverted is True


def test_singular_graduation_term() -> None:
    definition = load(
        VALID.replace(
            'graduation_terms = ["2019-2020 Bahar"]', 'graduation_term = "2019-2020 Bahar"'
        )
    )
    assert definition.audience.graduation_terms == ["2019-2020 Bahar"]
    assert "graduation_term" not in definition.to_document()["audience"]


def test_every_problem_is_reported_at_once_with_its_key_path() -> None:
    text = """
name = ""
send_window = "10:00-10:00"
goal_url = "ftp://mezun.example.edu.tr"
timezone = "Europe/Instanbul"

[audience]
faculties = ["Mühendislik", 7]

[[waves]]
name = "a"
offset = "-3d"
channels = ["email", "fax", "Email"]
template = "../secrets"

[[waves]]
name = "A"
offset = "3 gün"
channels = []
template = "t"
only_unconverted = "no"

[waves.whatsapp]
content_sid = "HX12"
variables = { "x" = "frist_name" }
"""
    problems = problems_of(text)
    assert locations(problems) == [
        "name",
        "audience.faculties[1]",
        "timezone",
        "send_window",
        "goal_url",
        "waves[0].offset",
        "waves[0].channels[1]",
        "waves[0].channels[2]",
        "waves[0].template",
        "waves[1].name",
        "waves[1].offset",
        "waves[1].channels",
        "waves[1].only_unconverted",
        "waves[1].whatsapp",
        "waves[1].whatsapp.content_sid",
        "waves[1].whatsapp.variables.x",
        "waves[1].whatsapp.variables.x",
    ]
    reasons = {p.location: p.reason for p in problems}
    assert "Europe/Istanbul" in reasons["timezone"]  # did you mean
    assert "negatif" in reasons["waves[0].offset"]
    assert "fax" in reasons["waves[0].channels[1]"]
    assert "zaten listede" in reasons["waves[0].channels[2]"]
    assert "waves[0]" in reasons["waves[1].name"]  # names compare case-insensitively
    assert "en az bir" in reasons["waves[1].channels"]
    assert all(" / " in p.reason for p in problems), "Turkish first, then English"


def test_the_error_message_lists_every_problem() -> None:
    text = VALID.replace('send_window = "09:00-20:00"', 'send_window = "sabah"').replace(
        'offset = "0s"', 'offset = "soon"'
    )
    with pytest.raises(InvalidDefinitionError) as caught:
        load(text)
    message = str(caught.value)
    assert "send_window:" in message
    assert "waves[0].offset:" in message
    assert message.startswith("kampanya tanımı geçersiz / invalid campaign definition")


@pytest.mark.parametrize(
    ("replace", "by", "location", "suggestion"),
    [
        ("goal_url =", "goal_ur1 =", "goal_ur1", "goal_url"),
        (
            'template = "registration_announcement"',
            'tempalte = "x"',
            "waves[0].tempalte",
            "template",
        ),
        ("[audience]\n", '[audience]\nfacultys = ["x"]\n', "audience.facultys", "faculties"),
        ('content_sid = "', 'contentsid = "', "waves[2].whatsapp.contentsid", "content_sid"),
    ],
)
def test_unknown_keys_are_errors_with_a_suggestion(
    replace: str, by: str, location: str, suggestion: str
) -> None:
    problems = problems_of(VALID.replace(replace, by, 1))
    unknown = [p for p in problems if p.location == location]
    assert len(unknown) == 1
    assert "bilinmeyen anahtar" in unknown[0].reason
    assert repr(suggestion) in unknown[0].reason


def test_toml_syntax_error_is_located() -> None:
    text = 'name = "x"\nsend_window = "09:00-20:00"\ngoal_url = https://x\n'
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].location == "satır 3, sütun 12 / line 3, column 12"
    assert "TOML" in problems[0].reason


def test_duplicate_toml_keys_are_syntax_errors() -> None:
    problems = problems_of(VALID.replace('name = "duyuru"', 'name = "duyuru"\nname = "x"'))
    assert problems[0].location.startswith("satır ")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"start": "2025-06-09T10:00:00"}, "birlikte verilemez"),
        ({"offset": None}, "gerekli"),
    ],
)
def test_start_xor_offset(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidDefinitionError) as caught:
        parse_definition(data(waves=[wave(**fields)]), default_timezone="Europe/Istanbul")
    assert [(p.location, reason in p.reason) for p in caught.value.problems] == [("waves[0]", True)]


def test_start_xor_offset_is_reported_beside_other_problems_of_the_wave() -> None:
    bad = wave(start="2025-06-09T10:00:00", channels=["pigeon"])
    with pytest.raises(InvalidDefinitionError) as caught:
        parse_definition(data(waves=[bad]), default_timezone="Europe/Istanbul")
    assert locations(caught.value.problems) == ["waves[0]", "waves[0].channels[0]"]


def test_a_date_without_time_is_not_a_start() -> None:
    problems = problems_of(VALID.replace("2025-06-09T10:00:00", "2025-06-09"))
    assert locations(problems) == ["waves[2].start"]
    assert "saat de gerekli" in problems[0].reason


def test_offset_longer_than_a_year_is_refused() -> None:
    problems = problems_of(VALID.replace('"1d12h"', '"366d"'))
    assert locations(problems) == ["waves[1].offset"]


def test_the_audience_needs_a_criterion() -> None:
    problems = problems_of(
        VALID.replace('graduation_terms = ["2019-2020 Bahar"]', "faculties = []")
    )
    assert locations(problems) == ["audience"]


def test_singular_and_plural_term_together_are_refused() -> None:
    text = VALID.replace("[audience]\n", '[audience]\ngraduation_term = "2018-2019 Bahar"\n')
    assert locations(problems_of(text)) == ["audience.graduation_term"]


def test_whatsapp_table_needs_the_whatsapp_channel() -> None:
    problems = problems_of(VALID.replace('channels = ["whatsapp", "sms"]', 'channels = ["sms"]'))
    assert locations(problems) == ["waves[2].whatsapp"]


def test_whatsapp_placeholders_and_variables() -> None:
    text = VALID.replace(
        '{ "1" = "first_name", "2" = "link" }', '{ "0" = "first_name", "2" = "Link" }'
    )
    problems = problems_of(text)
    assert locations(problems) == ["waves[2].whatsapp.variables.0", "waves[2].whatsapp.variables.2"]
    assert "'link'" in problems[1].reason


def test_strict_types_do_not_coerce_typos() -> None:
    problems = problems_of(VALID.replace("only_unconverted = false", 'only_unconverted = "false"'))
    assert locations(problems) == ["waves[2].only_unconverted"]
    assert "true ya da false" in problems[0].reason


def test_missing_keys() -> None:
    with pytest.raises(InvalidDefinitionError) as caught:
        parse_definition({"name": "x"}, default_timezone="Europe/Istanbul")
    assert locations(caught.value.problems) == ["audience", "send_window", "goal_url", "waves"]
    assert all("eksik" in p.reason for p in caught.value.problems)


def test_channels_are_normalised() -> None:
    definition = load(VALID.replace('channels = ["email"]', 'channels = [" Email "]'))
    assert definition.waves[0].channels == [Channel.EMAIL]


def test_the_stored_document_reads_back_the_same() -> None:
    definition = load(VALID)
    document = definition.to_document()
    assert document["waves"][1]["offset"] == "1d12h"
    assert document["waves"][2]["start"] == "2025-06-09T07:00:00Z"
    assert document["send_window"] == "09:00-20:00"
    assert document["timezone"] == "Europe/Istanbul"
    again = parse_definition(document, default_timezone="UTC")
    assert again == definition


def test_data_from_an_http_api_uses_strings_for_dates() -> None:
    payload = data(waves=[wave(offset=None, start="2025-06-09T10:00:00")])
    definition = parse_definition(payload, default_timezone="Europe/Istanbul")
    assert definition.waves[0].start == datetime(2025, 6, 9, 7, 0, tzinfo=UTC)


def test_not_a_table() -> None:
    with pytest.raises(InvalidDefinitionError):
        parse_definition(["x"], default_timezone="Europe/Istanbul")  # type: ignore[arg-type]


def test_a_byte_order_mark_is_ignored() -> None:
    assert load("\ufeff" + VALID).name == "Kayıt kampanyası"


def test_a_wave_can_aim_at_the_membership_form_of_registered_students() -> None:
    definition = parse_definition(
        data(waves=[wave(), wave(name="form", goal="form_submitted", requires="Registered")]),
        default_timezone="Europe/Istanbul",
    )
    assert definition.waves[0].options() == {}
    assert definition.waves[1].options() == {
        "goal_stage": "form_submitted",
        "requires_stage": "registered",
    }


def test_bad_stages_are_reported_with_their_key_paths() -> None:
    with pytest.raises(InvalidDefinitionError) as caught:
        parse_definition(
            data(waves=[wave(goal="paid"), wave(name="x", requires="registered")]),
            default_timezone="Europe/Istanbul",
        )
    problems = {p.location: p.reason for p in caught.value.problems}
    assert set(problems) == {"waves[0].goal", "waves[1].requires"}
    assert "registered, form_submitted" in problems["waves[0].goal"]
    assert "goal" in problems["waves[1].requires"]


# --- bounds: every value is checked, so none may be unbounded ---------------------------------


def problem_at(raw: dict[str, Any], location: str) -> str:
    with pytest.raises(InvalidDefinitionError) as caught:
        parse_definition(raw, default_timezone="Europe/Istanbul")
    found = {p.location: p.reason for p in caught.value.problems}
    assert location in found, found
    return found[location]


def test_a_template_name_longer_than_the_column_is_a_problem() -> None:
    reason = problem_at(data(waves=[wave(template="t" * 300)]), "waves[0].template")
    assert "at most 100 characters" in reason


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "9999-12-31T23:59:59-14:00"]
)
def test_starts_at_the_edges_of_the_calendar_are_problems(start: str) -> None:
    reason = problem_at(data(waves=[wave(offset=None, start=start)]), "waves[0].start")
    assert "between 2000 and 2100" in reason


def test_deeply_nested_toml_is_a_problem() -> None:
    with pytest.raises(InvalidDefinitionError) as caught:
        parse_toml("a = " + "[" * 50_000 + "]" * 50_000)
    assert "nested too deeply" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "location", "limit"),
    [
        (
            data(audience={"advisor_emails": [f"d{i}@u.example.edu.tr" for i in range(50_000)]}),
            "audience.advisor_emails",
            200,
        ),
        (data(waves=[wave(name=f"w{i}") for i in range(500)]), "waves", 20),
        (data(waves=[wave(channels=["email"] * 5000)]), "waves[0].channels", 10),
    ],
    ids=["advisors", "waves", "channels"],
)
def test_lists_have_limits_said_in_the_problem(
    raw: dict[str, Any], location: str, limit: int
) -> None:
    assert problem_at(raw, location) == (f"en fazla {limit} öğe olabilir / at most {limit} items")
