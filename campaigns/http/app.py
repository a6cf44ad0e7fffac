"""The FastAPI app: ``campaigns serve`` runs it on uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from campaigns import __version__
from campaigns.core import redacted_errors
from campaigns.core.db import database
from campaigns.core.models import utcnow
from campaigns.core.settings import Settings, get_settings
from campaigns.delivery.adapter_pool import adapter_env
from campaigns.http import access_log, api, conversions, links, metrics, unsubscribe, webhooks
from campaigns.http.deps import Services, services
from campaigns.http.limits import BodyLimit
from campaigns.planning.heartbeats import SCHEDULER, last_beat
from campaigns.planning.preflight import STALE_TICKS
from campaigns.web import routes as web_routes


def create_app(settings: Settings | None = None, env: Mapping[str, str] | None = None) -> FastAPI:
    """The app for ``settings`` (the environment's by default); ``env`` adds provider
    settings (webhook secrets) to the environment's."""
    settings = settings or get_settings()
    # Whoever serves the app: its access and error logs hold no personal data.
    access_log.install()
    redacted_errors.install()
    env = adapter_env(settings, env)
    services_ = Services(
        settings=settings,
        db=database(settings.database_url),
        env=env,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await services_.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Mezun Bilgi Sistemi kampanyaları / alumni campaigns",
        version=__version__,
        # The explorer is served below with its assets from this app, not a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.state.services = services_
    # Public machine endpoints (providers, students' links, the alumni system) are plain
    # Starlette routes, first in line; the documented API follows.
    app.router.routes.extend(
        [*webhooks.routes(env), *links.routes, *conversions.routes, *unsubscribe.routes]
    )
    app.include_router(api.router)
    app.include_router(metrics.router)
    # The people's web app: its pages and its own assets (no CDN: campuses run this on
    # internal networks).
    app.include_router(web_routes.router)
    app.mount("/static", web_routes.STATIC, name="static")

    @app.get("/api/v1/docs", include_in_schema=False)
    async def explorer() -> HTMLResponse:
        """The OpenAPI explorer, every file from this app (campuses run it on internal
        networks)."""
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="Mezun kampanyaları API / alumni campaigns API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz(deps: Annotated[Services, Depends(services)]) -> JSONResponse:
        """The database answers (else 503), and when the scheduler last ran: a web app can
        be healthy while nothing sends, and people should see that too."""
        try:
            last = await deps.transaction(lambda session: last_beat(session, SCHEDULER))
        except Exception:  # the check's whole point is to say so, not to raise
            return JSONResponse({"status": "unavailable", "database": False}, status_code=503)
        age = None if last is None else (utcnow() - last).total_seconds()
        running = age is not None and age <= STALE_TICKS * deps.settings.tick_seconds
        scheduler = {
            "last_tick": None if last is None else last.isoformat(),
            "age_seconds": None if age is None else round(age),
            "running": running,
        }
        return JSONResponse({"status": "ok", "database": True, "scheduler": scheduler})

    return app


# FastAPI's answer when a JSON body cannot be parsed at all, whatever the cause.
_UNPARSED = "There was an error parsing the body"
SWAGGER = "/static/swagger-ui-5.35.0"


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's answers, except an unreadable body, which is said in Turkish and English
    with its cause."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSED:
        cause = exc.__cause__
        if isinstance(cause, RecursionError):
            turkish, english = "JSON çok derin iç içe", "the JSON is nested too deeply"
        elif isinstance(cause, UnicodeDecodeError):
            turkish, english = "UTF-8 değil", "not UTF-8"
        else:
            turkish, english = "JSON değil", "not JSON"
        detail = f"gövde okunamadı: {turkish} / unreadable body: {english}"
        return JSONResponse({"detail": detail}, status_code=400)
    return await http_exception_handler(request, exc)
