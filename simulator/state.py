"""The state one simulator instance shares between its provider routes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from simulator.core import CallbackSender, Fault, Faults, Ledger, SimulatorConfig


@dataclass
class SimulatorState:
    config: SimulatorConfig
    ledger: Ledger = field(default_factory=Ledger)
    faults: Faults = field(init=False)
    callbacks: CallbackSender = field(init=False)

    def __post_init__(self) -> None:
        self.faults = Faults(self.config)
        self.callbacks = CallbackSender(self.config, self.faults, self.ledger)

    async def before_answer(self, *, slow_after_accepting: bool = False) -> Fault:
        """Wait the configured latency and decide whether this request fails. A "timeout"
        waits ``timeout_seconds`` here, unless the caller accepts the request first and
        answers late itself (``slow_after_accepting``), as a provider that took the message
        but whose answer never reached the client."""
        fault = self.faults.decide()
        if fault == "timeout" and not slow_after_accepting:
            await asyncio.sleep(self.config.timeout_seconds)
        elif fault != "timeout" and self.config.latency:
            await asyncio.sleep(self.config.latency)
        self.ledger.answer(fault)
        return fault
