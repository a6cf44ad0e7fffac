"""The web app's pages. Each parses the request, calls one use case and renders a page; the
rules (scopes, limits, audit) live in the use cases, as for the CLI and the API."""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from campaigns.access import sign_in
from campaigns.access.sign_in_email import send_link
from campaigns.http.deps import services_of
from campaigns.web import (
    admin_pages,
    approval_pages,
    board_pages,
    builder_pages,
    calendar_pages,
    campaign_pages,
    desk_pages,
    evidence_pages,
    i18n,
    launch_pages,
    preview_pages,
    reply_pages,
    sessions,
    student_pages,
    students_pages,
    template_pages,
    upload_pages,
)
from campaigns.web.page_rendering import expired_form, message_page, not_found, render
from channels.base import DeliveryError

log = logging.getLogger(__name__)

STATIC: Final = StaticFiles(packages=[("campaigns.web", "static")])
router = APIRouter(include_in_schema=False)


@router.get("/")
async def board(request: Request) -> Response:
    return await board_pages.board_page(request)


@router.get("/kampanyalar")
async def campaigns_list(request: Request) -> Response:
    return await campaign_pages.campaigns_page(request)


@router.get("/kampanyalar/yeni")
async def new_campaign(request: Request) -> Response:
    return await builder_pages.builder(request)


@router.post("/kampanyalar/yeni")
async def new_campaign_posted(request: Request) -> Response:
    return await builder_pages.posted(request)


@router.post("/kampanyalar/yeni/kitle")
async def new_campaign_audience(request: Request) -> Response:
    return await builder_pages.audience_count(request)


@router.post("/kampanyalar/ice-aktar")
async def import_campaign(request: Request) -> Response:
    return await builder_pages.imported(request)


@router.get("/kampanyalar/{campaign_id:int}")
async def campaign(request: Request, campaign_id: int) -> Response:
    return await campaign_pages.campaign_page(request, campaign_id)


@router.get("/kampanyalar/{campaign_id:int}.toml")
async def campaign_file(request: Request, campaign_id: int) -> Response:
    return await campaign_pages.campaign_file(request, campaign_id)


@router.get("/kampanyalar/{campaign_id:int}/rapor")
async def campaign_report(request: Request, campaign_id: int) -> Response:
    return await campaign_pages.campaign_page(request, campaign_id, fragment=True)


@router.get("/kampanyalar/{campaign_id:int}/rapor.{kind}")
async def campaign_report_file(request: Request, campaign_id: int, kind: str) -> Response:
    if kind not in ("xlsx", "csv"):
        return not_found(request)
    return await campaign_pages.report_export(request, campaign_id, kind)


@router.get("/kampanyalar/{campaign_id:int}/dalgalar/{wave}")
async def wave_preview(request: Request, campaign_id: int, wave: str) -> Response:
    return await preview_pages.preview_page(request, campaign_id, wave)


@router.post("/kampanyalar/{campaign_id:int}/dalgalar/{wave}/deneme")
async def wave_test_send(request: Request, campaign_id: int, wave: str) -> Response:
    return await preview_pages.send_test(request, campaign_id, wave)


@router.post("/sms-sayaci")
async def sms_counter(request: Request) -> Response:
    return await preview_pages.sms_counter(request)


@router.get("/kampanyalar/{campaign_id:int}/baslat")
async def launch_checklist(request: Request, campaign_id: int) -> Response:
    return await launch_pages.checklist(request, campaign_id)


@router.post("/kampanyalar/{campaign_id:int}/baslat")
async def launch(request: Request, campaign_id: int) -> Response:
    return await launch_pages.launch(request, campaign_id)


@router.get("/kalite")
async def evidence(request: Request) -> Response:
    return await evidence_pages.evidence_page(request)


@router.get("/kalite.{kind:str}")
async def evidence_file(request: Request, kind: str) -> Response:
    if kind not in ("xlsx", "html"):
        return not_found(request)
    return await evidence_pages.evidence_file(request, kind)


@router.get("/takvim")
async def calendar(request: Request) -> Response:
    return await calendar_pages.calendar_page(request)


@router.post("/takvim")
async def calendar_close(request: Request) -> Response:
    return await calendar_pages.close_days(request)


@router.post("/takvim/{closed_id:int}/ac")
async def calendar_reopen(request: Request, closed_id: int) -> Response:
    return await calendar_pages.reopen_days(request, closed_id)


@router.get("/onay")
async def approvals_waiting(request: Request) -> Response:
    return await approval_pages.waiting_page(request)


@router.get("/kampanyalar/{campaign_id:int}/onay")
async def campaign_review(request: Request, campaign_id: int) -> Response:
    return await approval_pages.review_page(request, campaign_id)


@router.post("/kampanyalar/{campaign_id:int}/onaya-gonder")
async def campaign_submit(request: Request, campaign_id: int) -> Response:
    return await approval_pages.submit(request, campaign_id)


@router.post("/kampanyalar/{campaign_id:int}/onayla")
async def campaign_approve(request: Request, campaign_id: int) -> Response:
    return await approval_pages.approve(request, campaign_id)


@router.post("/kampanyalar/{campaign_id:int}/geri-gonder")
async def campaign_return(request: Request, campaign_id: int) -> Response:
    return await approval_pages.return_for_changes(request, campaign_id)


@router.post("/kampanyalar/{campaign_id:int}/{action}")
async def campaign_change(request: Request, campaign_id: int, action: str) -> Response:
    if action not in ("duraklat", "surdur", "iptal"):
        return not_found(request)
    return await campaign_pages.change(request, campaign_id, action)


@router.get("/yukle")
async def upload(request: Request) -> Response:
    return await upload_pages.upload_page(request)


@router.post("/yukle")
async def upload_check(request: Request) -> Response:
    return await upload_pages.check(request)


@router.post("/yukle/onay")
async def upload_confirm(request: Request) -> Response:
    return await upload_pages.confirm(request)


@router.get("/yonetim")
async def administration(request: Request) -> Response:
    return await admin_pages.health(request)


@router.post("/yonetim/saglayicilar/{channel}/{action}")
async def providers_change(request: Request, channel: str, action: str) -> Response:
    if action not in ("sabitle", "coz"):
        return not_found(request)
    return await admin_pages.providers_action(request, channel, action)


@router.get("/yonetim/kullanicilar")
async def users_list(request: Request) -> Response:
    return await admin_pages.users_page(request)


@router.post("/yonetim/kullanicilar/{action}")
async def user_change(request: Request, action: str) -> Response:
    if action not in ("ekle", "degistir", "iptal", "anahtar"):
        return not_found(request)
    return await admin_pages.user_action(request, action)


@router.get("/yonetim/denetim")
async def audit_log(request: Request) -> Response:
    return await admin_pages.audit_page(request)


@router.get("/yonetim/engeller")
async def suppressions_list(request: Request) -> Response:
    return await admin_pages.suppressions_page(request)


@router.post("/yonetim/engeller/{action}")
async def suppression_change(request: Request, action: str) -> Response:
    if action not in ("ekle", "kaldir"):
        return not_found(request)
    return await admin_pages.suppression_action(request, action)


@router.get("/sablonlar")
async def message_texts(request: Request) -> Response:
    return await template_pages.texts_page(request)


@router.get("/sablonlar/{template}/{part}/{language}")
async def message_text(request: Request, template: str, part: str, language: str) -> Response:
    return await template_pages.editor(request, template, part, language)


@router.post("/sablonlar/{template}/{part}/{language}")
async def message_text_saved(request: Request, template: str, part: str, language: str) -> Response:
    return await template_pages.save(request, template, part, language)


@router.post("/sablonlar/{template}/{part}/{language}/dene")
async def message_text_tried(request: Request, template: str, part: str, language: str) -> Response:
    return await template_pages.tried(request, template, part, language)


@router.get("/yanitlar")
async def replies_inbox(request: Request) -> Response:
    return await reply_pages.inbox_page(request)


@router.post("/yanitlar/{reply_id:int}")
async def reply_state(request: Request, reply_id: int) -> Response:
    return await reply_pages.change(request, reply_id)


@router.get("/yanitlar/{reply_id:int}/ek/{file_id:int}")
async def reply_attachment(request: Request, reply_id: int, file_id: int) -> Response:
    return await reply_pages.attachment(request, reply_id, file_id)


@router.post("/yanitlar/{reply_id:int}/cevap")
async def reply_answer(request: Request, reply_id: int) -> Response:
    return await reply_pages.answer(request, reply_id)


@router.post("/yanitlar/{reply_id:int}/sablon")
async def reply_template_answer(request: Request, reply_id: int) -> Response:
    return await reply_pages.template_answer(request, reply_id)


@router.get("/masa")
async def desk(request: Request) -> Response:
    return await desk_pages.desk_page(request)


@router.post("/masa/form")
async def desk_form_received(request: Request) -> Response:
    return await desk_pages.form_received(request)


@router.get("/ogrenciler")
async def students(request: Request) -> Response:
    return await students_pages.students_page(request)


@router.get("/ogrenciler/{student_no}")
async def student(request: Request, student_no: str) -> Response:
    return await student_pages.student_page(request, student_no)


@router.post("/ogrenciler/{student_no}/hatirlat")
async def student_reminder(request: Request, student_no: str) -> Response:
    return await student_pages.remind(request, student_no)


@router.get("/ogrenciler.xlsx")
async def students_xlsx(request: Request) -> Response:
    return await students_pages.students_export(request, "xlsx")


@router.get("/ogrenciler.csv")
async def students_csv(request: Request) -> Response:
    return await students_pages.students_export(request, "csv")


@router.get("/giris")
async def sign_in_form(request: Request) -> Response:
    if await sessions.visitor(request) is not None:
        return RedirectResponse("/", status_code=303)
    return anonymous_form(request, "sign_in.html")


@router.post("/giris")
async def ask_for_link(request: Request) -> Response:
    form = await request.form()
    if not sessions.form_token_matches(request, _text(form.get(sessions.CSRF_FIELD))):
        return expired_form(request)
    address = _text(form.get("email"))[:320]
    services = services_of(request)
    client = request.client.host if request.client else "unknown"

    def ask(session: Session) -> sign_in.LinkRequest:
        return sign_in.request_link(session, address, client, settings=services.settings)

    try:
        asked = await services.transaction(ask)
    except sign_in.TooManyRequestsError:
        _ = i18n.gettext_for(request)
        return message_page(
            request,
            _("Too many requests"),
            _("Too many sign-in links were asked for. Try again in 15 minutes."),
            429,
        )
    if asked.user is not None and asked.link is not None:
        try:
            await run_in_threadpool(
                send_link, services.adapters, asked.user.email, asked.link, services.settings
            )
        except DeliveryError as exc:
            log.warning("sign-in link not sent: %s", type(exc).__name__)
    return render(request, "sign_in_sent.html", language=i18n.for_request(request), visitor=None)


@router.get("/giris/{token}")
async def confirm_sign_in(request: Request, token: str) -> Response:
    # Mail scanners open links: only the button below (a POST) uses the link up.
    return anonymous_form(request, "sign_in_confirm.html", link_token=token)


@router.post("/giris/{token}")
async def complete_sign_in(request: Request, token: str) -> Response:
    form = await request.form()
    if not sessions.form_token_matches(request, _text(form.get(sessions.CSRF_FIELD))):
        return expired_form(request)
    try:
        opened = await services_of(request).transaction(
            lambda session: sign_in.redeem(session, token)
        )
    except sign_in.InvalidLinkError:
        _ = i18n.gettext_for(request)
        return message_page(
            request,
            _("This link cannot be used"),
            _("The sign-in link is not valid, was used already or has expired. Ask for a new one."),
            400,
        )
    response = RedirectResponse("/", status_code=303)
    sessions.set_session_cookie(response, request, opened.token)
    return response


@router.post("/cikis")
async def sign_out(request: Request) -> Response:
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    cookie = request.cookies.get(sessions.SESSION_COOKIE)
    await services_of(request).transaction(lambda session: sign_in.sign_out(session, cookie))
    response = sessions.to_sign_in()
    response.delete_cookie(sessions.SESSION_COOKIE, path="/")
    return response


@router.get("/dil/{code}")
async def switch_language(request: Request, code: str, sonra: str = "/") -> Response:
    """Switch the page language; ``sonra`` (next) is a path on this site."""
    path = sonra.replace("\\", "/")
    target = urlsplit(path)
    local = path.startswith("/") and not path.startswith("//") and not target.netloc
    response = RedirectResponse(path if local and not target.scheme else "/", status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", path="/", httponly=True
        )
    return response


def anonymous_form(request: Request, template: str, **context: Any) -> Response:
    """A page with a form for someone not signed in yet: its CSRF token is also a cookie's
    (double submit), as there is no session to hold it."""
    token = sessions.form_token(request)
    response = render(
        request,
        template,
        language=i18n.for_request(request),
        visitor=None,
        form_token=token,
        **context,
    )
    sessions.remember_form_token(response, request, token)
    return response


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
