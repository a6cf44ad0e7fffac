"""Simulated sendgrid API routes."""

from __future__ import annotations

from starlette.routing import Route

from simulator.state import SimulatorState


def routes(state: SimulatorState) -> list[Route]:
    return []
