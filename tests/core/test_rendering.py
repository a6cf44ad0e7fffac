"""The renderer: sandbox, strict variables, escaping per part, language fallback, caching."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from campaigns.core.rendering import (
    CONTEXT_VARIABLES,
    PARTS,
    RenderedMessage,
    Renderer,
    TemplateRenderError,
    is_html_template,
    message_context,
    missing_parts,
    part_path,
    whatsapp_variables,
)
from channels.base import Channel, ErrorKind, PermanentError

BASIC = {
    "email.subject.tr.j2": "Kayıt  hatırlatması\n{{ first_name }}\n",
    "email.txt.tr.j2": "Sayın {{ first_name }} {{ last_name }},\n{{ link }}\n",
    "email.html.tr.j2": "<p>Sayın {{ first_name }} {{ last_name }}</p>",
    "sms.tr.j2": "\n  Sayın {{ first_name }} {{ last_name }}: {{ link }}  \n\n",
    "whatsapp.tr.j2": "\nSayın *{{ full_name }}*\n{{ link }}\n",
    "sms.en.j2": "Dear {{ first_name }} {{ last_name }}: {{ link }}",
}


def write_template(root: Path, files: dict[str, str], name: str = "reminder") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    return root


def context(**overrides: str) -> dict[str, str]:
    values = dict.fromkeys(CONTEXT_VARIABLES, "")
    values.update(
        first_name="Ayşe",
        last_name="Yılmaz",
        full_name="Ayşe Yılmaz",
        link="https://kampanya.example.edu.tr/r/abc",
        alumni_office_email="mezun@universite.example.edu.tr",
    )
    values.update(overrides)
    return values


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    return Renderer(write_template(tmp_path, BASIC))


def test_email_has_one_line_subject_text_and_html(renderer: Renderer) -> None:
    message = renderer.render("reminder", Channel.EMAIL, "tr", context())

    assert message == RenderedMessage(
        subject="Kayıt hatırlatması Ayşe",
        text="Sayın Ayşe Yılmaz,\nhttps://kampanya.example.edu.tr/r/abc",
        html="<p>Sayın Ayşe Yılmaz</p>",
    )


def test_sms_and_whatsapp_are_stripped_text_only(renderer: Renderer) -> None:
    sms = renderer.render("reminder", Channel.SMS, "tr", context())
    whatsapp = renderer.render("reminder", Channel.WHATSAPP, "tr", context())

    assert sms == RenderedMessage(
        subject=None, text="Sayın Ayşe Yılmaz: https://kampanya.example.edu.tr/r/abc", html=None
    )
    assert whatsapp.text == "Sayın *Ayşe Yılmaz*\nhttps://kampanya.example.edu.tr/r/abc"
    assert whatsapp.subject is None
    assert whatsapp.html is None


def test_subject_cannot_carry_header_breaks(renderer: Renderer) -> None:
    message = renderer.render(
        "reminder", Channel.EMAIL, "tr", context(first_name="Ayşe\r\nBcc: x@example.com")
    )

    assert message.subject == "Kayıt hatırlatması Ayşe Bcc: x@example.com"


def test_student_data_is_never_compiled_as_a_template(renderer: Renderer) -> None:
    data = context(first_name="{{ 7*7 }}", last_name="{% raw %}{{ link }}")

    sms = renderer.render("reminder", Channel.SMS, "tr", data)
    email = renderer.render("reminder", Channel.EMAIL, "tr", data)

    assert sms.text.startswith("Sayın {{ 7*7 }} {% raw %}{{ link }}:")
    assert "49" not in sms.text
    assert email.html == "<p>Sayın {{ 7*7 }} {% raw %}{{ link }}</p>"


def test_html_part_is_escaped_and_text_parts_are_not(renderer: Renderer) -> None:
    data = context(last_name="<script>alert('x')</script> & Co")

    email = renderer.render("reminder", Channel.EMAIL, "tr", data)
    sms = renderer.render("reminder", Channel.SMS, "tr", data)

    assert (
        email.html == "<p>Sayın Ayşe &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co</p>"
    )
    assert "<script>alert('x')</script> & Co," in email.text
    assert "<script>alert('x')</script> & Co:" in sms.text


@pytest.mark.parametrize(
    ("name", "html"),
    [
        ("reminder/email.html.tr.j2", True),
        ("reminder/email.html.en.j2", True),
        ("reminder/email.txt.tr.j2", False),
        ("reminder/email.subject.tr.j2", False),
        ("reminder/sms.tr.j2", False),
        ("reminder/whatsapp.en.j2", False),
        ("html/sms.tr.j2", False),
        (None, False),
    ],
)
def test_autoescape_predicate_looks_at_the_part(name: str | None, html: bool) -> None:
    assert is_html_template(name) is html


def test_undefined_variable_is_an_error(tmp_path: Path) -> None:
    renderer = Renderer(
        write_template(tmp_path, {"sms.tr.j2": "Sayın {{ first_name }}\n{{ nick }}"})
    )

    with pytest.raises(TemplateRenderError) as caught:
        renderer.render("reminder", Channel.SMS, "tr", context(first_name="Zeynep"))

    message = str(caught.value)
    assert "reminder/sms.tr.j2" in message
    assert "'nick' is undefined" in message
    assert "line 2" in message
    assert "Zeynep" not in message


def test_error_is_permanent_with_template_code(tmp_path: Path) -> None:
    renderer = Renderer(write_template(tmp_path, {"sms.tr.j2": "{{ nick }}"}))

    with pytest.raises(PermanentError) as caught:
        renderer.render("reminder", Channel.SMS, "tr", context())

    assert isinstance(caught.value, TemplateRenderError)
    assert caught.value.code == "template"
    assert caught.value.kind is ErrorKind.PERMANENT


def test_error_message_never_contains_student_data(tmp_path: Path) -> None:
    # Jinja quotes a missing key, which here is the student's own name.
    renderer = Renderer(write_template(tmp_path, {"sms.tr.j2": "{{ {}[first_name] }}"}))
    data = context(first_name="Zeynep", last_name="Çelik")

    with pytest.raises(TemplateRenderError) as caught:
        renderer.render("reminder", Channel.SMS, "tr", data)

    assert "reminder/sms.tr.j2" in str(caught.value)
    assert "UndefinedError" in str(caught.value)
    assert "Zeynep" not in str(caught.value)
    assert "Zeynep" not in repr(caught.value)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ first_name.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ link.format.__globals__ }}",
    ],
)
def test_sandbox_refuses_python_internals(tmp_path: Path, source: str) -> None:
    renderer = Renderer(write_template(tmp_path, {"sms.tr.j2": source}))

    with pytest.raises(TemplateRenderError) as caught:
        renderer.render("reminder", Channel.SMS, "tr", context())

    assert "reminder/sms.tr.j2" in str(caught.value)
    assert "SecurityError" in str(caught.value) or "UndefinedError" in str(caught.value)


def test_sandbox_error_names_the_problem(tmp_path: Path) -> None:
    renderer = Renderer(write_template(tmp_path, {"sms.tr.j2": "{{ ''.__class__.__mro__ }}"}))

    with pytest.raises(TemplateRenderError, match="SecurityError: access to attribute '__class__'"):
        renderer.render("reminder", Channel.SMS, "tr", context())


def test_syntax_error_names_part_and_line(tmp_path: Path) -> None:
    renderer = Renderer(write_template(tmp_path, {"sms.tr.j2": "Sayın\n{{ first_name }\n"}))

    with pytest.raises(TemplateRenderError) as caught:
        renderer.render("reminder", Channel.SMS, "tr", context())

    message = str(caught.value)
    assert "reminder/sms.tr.j2" in message
    assert "line 2" in message
    assert "TemplateSyntaxError" in message


def test_python_errors_inside_a_template_are_template_errors(tmp_path: Path) -> None:
    renderer = Renderer(write_template(tmp_path, {"sms.tr.j2": "{{ 1 / 0 }}"}))

    with pytest.raises(TemplateRenderError, match="ZeroDivisionError"):
        renderer.render("reminder", Channel.SMS, "tr", context())


def test_missing_template_is_an_error(renderer: Renderer) -> None:
    with pytest.raises(TemplateRenderError, match=r"template not found: nothing/sms\.tr\.j2"):
        renderer.render("nothing", Channel.SMS, "en", context())


def test_template_names_cannot_leave_the_templates_dir(tmp_path: Path) -> None:
    (tmp_path / "sms.tr.j2").write_text("secret", encoding="utf-8")
    renderer = Renderer(write_template(tmp_path / "templates", BASIC))

    with pytest.raises(TemplateRenderError, match="not found"):
        renderer.render("..", Channel.SMS, "tr", context())


def test_missing_part_of_a_channel_is_an_error(tmp_path: Path) -> None:
    files = {k: v for k, v in BASIC.items() if k != "email.html.tr.j2"}
    renderer = Renderer(write_template(tmp_path, files))

    with pytest.raises(TemplateRenderError, match=r"reminder/email\.html\.tr\.j2"):
        renderer.render("reminder", Channel.EMAIL, "tr", context())


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Dear Ayşe Yılmaz:"),
        ("EN", "Dear Ayşe Yılmaz:"),
        ("en-GB", "Dear Ayşe Yılmaz:"),
        ("tr", "Sayın Ayşe Yılmaz:"),
        ("de", "Sayın Ayşe Yılmaz:"),
        ("", "Sayın Ayşe Yılmaz:"),
        ("../x", "Sayın Ayşe Yılmaz:"),
    ],
)
def test_language_falls_back_to_turkish(renderer: Renderer, language: str, expected: str) -> None:
    assert renderer.render("reminder", Channel.SMS, language, context()).text.startswith(expected)


def test_fallback_is_per_part(renderer: Renderer) -> None:
    # English SMS exists, English email does not.
    assert renderer.source_name("reminder", "sms", "en") == "reminder/sms.en.j2"
    assert renderer.source_name("reminder", "email.txt", "en") == "reminder/email.txt.tr.j2"
    email = renderer.render("reminder", Channel.EMAIL, "en", context())
    assert email.text.startswith("Sayın Ayşe")


def test_broken_language_file_is_not_hidden_by_the_fallback(tmp_path: Path) -> None:
    files = {**BASIC, "sms.en.j2": "{% if %}"}
    renderer = Renderer(write_template(tmp_path, files))

    with pytest.raises(TemplateRenderError, match=r"reminder/sms\.en\.j2"):
        renderer.render("reminder", Channel.SMS, "en", context())


def test_each_template_file_is_loaded_once(tmp_path: Path) -> None:
    renderer = Renderer(write_template(tmp_path, BASIC))
    first = renderer.render("reminder", Channel.SMS, "tr", context())
    (tmp_path / "reminder" / "sms.tr.j2").write_text("changed {{ nick }}", encoding="utf-8")

    again = [renderer.render("reminder", Channel.SMS, "tr", context()) for _ in range(3)]

    assert again == [first] * 3
    assert renderer.template("reminder", "sms", "tr") is renderer.template("reminder", "sms", "tr")


def test_jinja_globals_and_template_variables_are_both_there(tmp_path: Path) -> None:
    # Globals are flattened per template for speed: the builtins stay available and each
    # render sees its own variables.
    files = {
        "sms.tr.j2": "{% set ns = namespace(n=0) %}{% for i in range(3) %}"
        "{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }} {{ first_name }} {{ dict(a=1)|length }}"
    }
    renderer = Renderer(write_template(tmp_path, files))

    texts = [
        renderer.render("reminder", Channel.SMS, "tr", context(first_name=name)).text
        for name in ("Ayşe", "İlker")
    ]

    assert texts == ["3 Ayşe 1", "3 İlker 1"]


def test_turkish_case_filters(tmp_path: Path) -> None:
    files = {"sms.tr.j2": "{{ first_name|upper_tr }} {{ last_name|lower_tr }}"}
    renderer = Renderer(write_template(tmp_path, files))

    text = renderer.render(
        "reminder", Channel.SMS, "tr", context(first_name="iğdır ılgaz", last_name="IŞIL İNCİ")
    ).text

    assert text == "İĞDIR ILGAZ ışıl inci"


def test_case_filters_keep_html_escaping(tmp_path: Path) -> None:
    files = {**BASIC, "email.html.tr.j2": "<b>{{ last_name|upper_tr }}</b>"}
    renderer = Renderer(write_template(tmp_path, files))

    html = renderer.render("reminder", Channel.EMAIL, "tr", context(last_name="<u>şen</u>")).html

    assert html == "<b>&lt;U&gt;ŞEN&lt;/U&gt;</b>"


def test_trailing_newline_is_not_kept(tmp_path: Path) -> None:
    files = {**BASIC, "email.txt.tr.j2": "Sayın {{ first_name }},\n"}
    renderer = Renderer(write_template(tmp_path, files))

    assert renderer.render("reminder", Channel.EMAIL, "tr", context()).text == "Sayın Ayşe,"


def student(**overrides: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "student_no": "20201234567",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "faculty": "Mühendislik Fakültesi",
        "department": "Bilgisayar Mühendisliği",
        "degree": "Lisans",
        "advisor_name": "Doç. Dr. İlker Çağlar",
        "advisor_email": "ilker.caglar@universite.example.edu.tr",
        "graduation_term": "2024-2025 Bahar",
        "email": "not-used@example.com",
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def test_message_context_has_exactly_the_template_variables() -> None:
    values = message_context(
        student(),
        campaign_name="Bahar 2025",
        wave_name="ilk-duyuru",
        goal_url="https://mezun.universite.example.edu.tr",
        link="https://kampanya.example.edu.tr/r/abc",
        alumni_office_email="mezun@universite.example.edu.tr",
    )

    assert tuple(values) == CONTEXT_VARIABLES
    assert values["full_name"] == "Ayşe Yılmaz"
    assert values["advisor_name"] == "Doç. Dr. İlker Çağlar"
    assert values["campaign_name"] == "Bahar 2025"
    assert values["wave_name"] == "ilk-duyuru"
    assert values["goal_url"] == "https://mezun.universite.example.edu.tr"
    assert values["link"] == "https://kampanya.example.edu.tr/r/abc"
    assert values["alumni_office_email"] == "mezun@universite.example.edu.tr"
    assert all(isinstance(v, str) for v in values.values())


def test_message_context_turns_missing_values_into_empty_strings() -> None:
    values = message_context(
        student(advisor_name=None, advisor_email=None, last_name=None),
        campaign_name="c",
        wave_name="w",
        goal_url="g",
        link="l",
        alumni_office_email="m",
    )

    assert values["advisor_name"] == ""
    assert values["advisor_email"] == ""
    assert values["last_name"] == ""
    assert values["full_name"] == "Ayşe"


def test_message_context_reads_a_mapping_like_an_object() -> None:
    # The sender passes a result row's mapping; previews pass a ``Student``.
    source = student(advisor_email=None)
    links = {
        "campaign_name": "c",
        "wave_name": "w",
        "goal_url": "g",
        "link": "l",
        "alumni_office_email": "m",
    }

    from_mapping = message_context(vars(source), **links)

    assert from_mapping == message_context(source, **links)
    assert from_mapping["advisor_email"] == ""
    assert from_mapping["full_name"] == "Ayşe Yılmaz"


def test_whatsapp_variables_fill_placeholders() -> None:
    values = context(first_name="Ayşe")

    filled = whatsapp_variables(values, {"1": "first_name", "2": "link"})

    assert filled == {"1": "Ayşe", "2": "https://kampanya.example.edu.tr/r/abc"}


def test_whatsapp_variables_refuse_unknown_fields() -> None:
    with pytest.raises(TemplateRenderError, match="2=nickname") as caught:
        whatsapp_variables(context(first_name="Zeynep"), {"1": "first_name", "2": "nickname"})

    assert "Zeynep" not in str(caught.value)


def test_part_lookup_helpers(tmp_path: Path) -> None:
    write_template(tmp_path, {"sms.tr.j2": "x", "email.txt.tr.j2": "x"})

    assert part_path(tmp_path, "reminder", "sms", "en") == tmp_path / "reminder" / "sms.en.j2"
    assert missing_parts(tmp_path, "reminder", Channel.SMS) == []
    assert missing_parts(tmp_path, "reminder", Channel.EMAIL) == ["email.subject", "email.html"]
    assert PARTS[Channel.WHATSAPP] == ("whatsapp",)


def test_a_file_that_is_not_utf8_is_a_template_error(tmp_path: Path) -> None:
    renderer = Renderer(write_template(tmp_path, BASIC))
    (tmp_path / "reminder" / "sms.tr.j2").write_bytes("Sayın".encode("iso-8859-9"))

    with pytest.raises(TemplateRenderError, match=r"reminder/sms\.tr\.j2: UnicodeDecodeError"):
        renderer.render("reminder", Channel.SMS, "tr", context())
