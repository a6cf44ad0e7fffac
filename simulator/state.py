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

    async def before_answer(self) -> Fault:
        """Wait the configured latency and decide whether this request fails."""
        fault = self.faults.decide()
        if fault == "timeout":
            await asyncio.sleep(self.config.timeout_seconds)
        elif self.config.latency:
            await asyncio.sleep(self.config.latency)
        self.ledger.answer(fault)
        return fault
