"""The simulator's HTTP app: Twilio's Messages API, SendGrid's mail/send and Netgsm's SMS
API, side by side.

``GET /_simulator/ledger`` tells what was accepted per recipient; ``POST /_simulator/reset``
clears it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator import netgsm_api, sendgrid_api, twilio_api
from simulator.core import SimulatorConfig
from simulator.state import SimulatorState


def create_app(config: SimulatorConfig) -> Starlette:
    """A Starlette app simulating both providers with ``config``."""
    state = SimulatorState(config)

    async def ledger(_: Request) -> Response:
        return JSONResponse(state.ledger.snapshot())

    async def reset(_: Request) -> Response:
        state.ledger.reset()
        return Response(status_code=204)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await state.callbacks.start()
        yield
        await state.callbacks.stop()

    app = Starlette(
        routes=[
            *twilio_api.routes(state),
            *sendgrid_api.routes(state),
            *netgsm_api.routes(state),
            Route("/_simulator/ledger", ledger, methods=["GET"]),
            Route("/_simulator/reset", reset, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.simulator = state
    return app
