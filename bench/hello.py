"""Bare "hello" endpoints: the ceilings HTTP endpoints are measured against."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send


async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
    """Raw ASGI: uvicorn's own ceiling."""
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")],
        }
    )
    await send({"type": "http.response.body", "body": b"hello"})


fastapi = FastAPI()


@fastapi.api_route("/{path:path}", methods=["GET", "POST"])
async def hello() -> PlainTextResponse:
    """The same framework as the app, doing nothing."""
    return PlainTextResponse("hello")
