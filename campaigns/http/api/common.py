"""What the API's routers share: running work in one transaction with errors mapped to HTTP
statuses, the error shapes, input constraints, the channel adapters.

Error shapes (every one is JSON):

- 401, 403, 404, 409, 502, 503: ``{"detail": "Türkçe … / English …"}``;
- 422: ``{"detail": [{"loc": [...], "msg": "…", "type": "…"}]}``, as FastAPI reports bad
  input; campaign definition problems have ``type`` ``"definition"`` and ``loc`` the key path
  under ``"body"`` (``["body", "waves", 1, "channels", 0]``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Annotated, Any, Final, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy.orm import Session

from campaigns.core.errors import (
    CampaignsError,
    InvalidDefinitionError,
    NotAllowedError,
    NotFoundError,
    Problem,
    StateError,
)
from campaigns.definitions.campaign_file import ROOT
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.http.api.schemas import NO_NUL, ErrorOut, FieldErrorOut, ValidationErrorOut
from campaigns.http.deps import Services, services, services_of
from campaigns.planning.launching import PreflightFailed
from channels.base import ConfigurationError, DeliveryError

log = logging.getLogger(__name__)
T = TypeVar("T")

Deps = Annotated[Services, Depends(services)]

MAX_ID: Final = 2**63 - 1

CampaignId = Annotated[
    int, Path(ge=1, le=MAX_ID, examples=[1], description="Kampanya numarası / campaign id.")
]
WaveName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        examples=["duyuru"],
        description="Dalga / wave name.",
    ),
]
StudentNo = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=NO_NUL,
        examples=["19100001"],
        description="Öğrenci no / student number.",
    ),
]


def text_query(description: str, max_length: int = 255) -> Any:
    """A free-text query parameter that the database can hold."""
    return Query(max_length=max_length, pattern=NO_NUL, description=description)


ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ErrorOut, "description": "Anahtar yok ya da geçersiz / no or invalid token"},
    422: {"model": ValidationErrorOut, "description": "Geçersiz girdi / invalid input"},
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorOut, "description": "Yok ya da yetki alanı dışında / not found"}
}
CONFLICT: Final[dict[int | str, dict[str, Any]]] = {
    409: {"model": ErrorOut, "description": "Bu durumda yapılamaz / not in this state"}
}
UNREADABLE_BODY: Final[dict[int | str, dict[str, Any]]] = {
    400: {"model": ErrorOut, "description": "Gövde okunamadı (UTF-8 değil) / unreadable body"}
}
FORBIDDEN: Final[dict[int | str, dict[str, Any]]] = {
    403: {"model": ErrorOut, "description": "Yetkiniz yok / not allowed"}
}


async def run(deps: Services, work: Callable[[Session], T]) -> T:
    """``work`` in one committed transaction; a user error rolls everything back and is
    answered with its status (never a stack trace)."""
    return await answered(deps.transaction(work))


async def answered(pending: Awaitable[T]) -> T:
    """What ``pending`` gives, or the HTTP answer to the user error it raised."""
    try:
        return await pending
    except PreflightFailed as exc:
        detail = [
            {"loc": ["preflight", f.subject], "msg": f.text, "type": "preflight"}
            for f in exc.findings
        ]
        raise HTTPException(409, detail=detail) from None
    except InvalidDefinitionError as exc:
        raise HTTPException(422, detail=definition_errors(exc.problems)) from None
    except NotFoundError as exc:
        raise HTTPException(404, detail=str(exc)) from None
    except NotAllowedError as exc:
        raise HTTPException(403, detail=str(exc)) from None
    except StateError as exc:
        raise HTTPException(409, detail=str(exc)) from None
    except CampaignsError as exc:
        location = list(getattr(exc, "location", ()))
        detail = [{"loc": location, "msg": str(exc), "type": "invalid"}]
        raise HTTPException(422, detail=detail) from None


def delivery_failure(exc: DeliveryError | ConfigurationError) -> HTTPException:
    """A provider that refused a message (502) or an adapter that cannot run (503)."""
    if isinstance(exc, ConfigurationError):
        log.error("adapter not configured: %s", type(exc).__name__)
        return HTTPException(503, detail=f"kanal yapılandırılmamış / channel not configured: {exc}")
    return HTTPException(
        502,
        detail=f"sağlayıcı mesajı kabul etmedi / the provider refused the message: "
        f"{exc.code or exc.kind.value}",
    )


# --- definition problems ---------------------------------------------------------------------

_PART = re.compile(r'\[(\d+)\]|"([^"]*)"|([^.\[\]"]+)')


def location_parts(location: str) -> list[str | int]:
    """``waves[1].channels[0]`` → ``["waves", 1, "channels", 0]``."""
    if location == ROOT:
        return []
    parts: list[str | int] = []
    for match in _PART.finditer(location):
        index, quoted, bare = match.groups()
        if index is not None:
            parts.append(int(index))
        else:
            parts.append(quoted if quoted is not None else bare)
    return parts


def definition_errors(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems in the shape FastAPI reports bad input in."""
    return [
        FieldErrorOut(
            loc=["body", *location_parts(problem.location)],
            msg=problem.reason,
            type="definition",
        ).model_dump()
        for problem in problems
    ]


def unsafe_text(data: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Where JSON data holds text the database cannot store (NUL, lone surrogates)."""
    if isinstance(data, str):
        if "\x00" in data or any("\ud800" <= ch <= "\udfff" for ch in data):
            yield at
    elif isinstance(data, Mapping):
        for key, value in data.items():
            yield from unsafe_text(key, at)
            yield from unsafe_text(value, (*at, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from unsafe_text(value, (*at, index))


def refuse_unsafe_text(data: Any) -> None:
    """422 for any text in a request body that the database could not store."""
    places = list(dict.fromkeys(unsafe_text(data)))
    if places:
        raise HTTPException(
            422,
            detail=[
                {
                    "loc": ["body", *place],
                    "msg": "NUL ya da geçersiz karakter içeremez / "
                    "must not contain NUL or invalid characters",
                    "type": "invalid_text",
                }
                for place in places
            ],
        )


# --- channel adapters ------------------------------------------------------------------------

_pool_lock = threading.Lock()


async def adapter_pool(request: Request) -> AdapterPool:
    """The app's channel adapters, built on first use."""
    state = request.app.state
    with _pool_lock:
        pool: AdapterPool | None = getattr(state, "adapter_pool", None)
        if pool is None:
            pool = AdapterPool(services_of(request).settings)
            state.adapter_pool = pool
    return pool


Adapters = Annotated[AdapterPool, Depends(adapter_pool)]
