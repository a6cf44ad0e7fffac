"""What the provider simulator shares: its configuration, fault injection, the ledger of
what it accepted, and the sender of signed callbacks."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import threading
from collections import Counter
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger(__name__)

Fault = Literal["ok", "error", "rate_limited", "timeout"]


def generate_signing_key() -> ec.EllipticCurvePrivateKey:
    """A P-256 key like the one SendGrid signs its event webhook with."""
    return ec.generate_private_key(ec.SECP256R1())


def public_key_base64(key: ec.EllipticCurvePrivateKey) -> str:
    """The public half as SendGrid shows it: base64 DER (SubjectPublicKeyInfo)."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@dataclass
class SimulatorConfig:
    """How the simulated providers behave. Rates are shares of requests, 0 to 1."""

    latency: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 60.0
    callbacks: bool = True
    callback_delay: float = 0.05
    callback_concurrency: int = 32
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0
    undelivered_rate: float = 0.05
    read_rate: float = 0.3
    twilio_account_sid: str = "AC" + "0" * 32
    twilio_auth_token: str = "simulator-auth-token"  # noqa: S105 - the simulator's own
    sendgrid_api_key: str = "SG.simulator-api-key"
    netgsm_username: str = "8503000000"
    netgsm_password: str = "simulator-password"  # noqa: S105 - the simulator's own
    netgsm_msgheader: str = "UNIVERSITE"
    netgsm_report_queries_per_minute: int = 10
    sendgrid_event_url: str | None = None
    # mail/send answers 413 above this request size (SendGrid's limit is 30 MB).
    sendgrid_max_body_bytes: int = 30 * 1024 * 1024
    seed: int | None = None
    signing_key: ec.EllipticCurvePrivateKey = field(default_factory=generate_signing_key)

    @property
    def sendgrid_public_key(self) -> str:
        return public_key_base64(self.signing_key)


class Ledger:
    """What the simulator received and accepted, per provider and recipient (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted: Counter[tuple[str, str]] = Counter()
        self.answers: Counter[str] = Counter()
        self.callbacks_sent = 0
        # Callbacks the receiver answered with a 5xx (or not at all): what a provider that
        # does not retry (Twilio) would have lost.
        self.callbacks_failed = 0

    def accept(self, provider: str, recipient: str) -> None:
        with self._lock:
            self.accepted[(provider, recipient)] += 1

    def answer(self, outcome: str) -> None:
        with self._lock:
            self.answers[outcome] += 1

    def callback(self) -> None:
        with self._lock:
            self.callbacks_sent += 1

    def callback_failed(self) -> None:
        with self._lock:
            self.callbacks_failed += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "accepted": [
                    {"provider": p, "recipient": r, "count": n}
                    for (p, r), n in sorted(self.accepted.items())
                ],
                "answers": dict(self.answers),
                "callbacks_sent": self.callbacks_sent,
                "callbacks_failed": self.callbacks_failed,
            }

    def reset(self) -> None:
        with self._lock:
            self.accepted.clear()
            self.answers.clear()
            self.callbacks_sent = 0
            self.callbacks_failed = 0


class Faults:
    """Decides, request by request, whether to answer normally or fail."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)  # noqa: S311 - simulation, not security
        self._lock = threading.Lock()

    def decide(self) -> Fault:
        with self._lock:
            roll = self._random.random()
        c = self.config
        if roll < c.error_rate:
            return "error"
        if roll < c.error_rate + c.rate_limit_rate:
            return "rate_limited"
        if roll < c.error_rate + c.rate_limit_rate + c.timeout_rate:
            return "timeout"
        return "ok"

    def chance(self, rate: float) -> bool:
        with self._lock:
            return self._random.random() < rate

    def pick(self, weights: Mapping[str, float]) -> str:
        with self._lock:
            return self._random.choices(list(weights), list(weights.values()))[0]


@dataclass(frozen=True)
class Callback:
    """One HTTP callback to deliver: a form (Twilio) or a raw body (SendGrid)."""

    url: str
    headers: Mapping[str, str]
    data: Mapping[str, str] | None = None
    content: bytes | None = None


class CallbackSender:
    """Delivers callbacks in the background on the server's event loop, with the configured
    delays, duplicates and reordering."""

    def __init__(self, config: SimulatorConfig, faults: Faults, ledger: Ledger) -> None:
        self.config = config
        self.faults = faults
        self.ledger = ledger
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots: asyncio.Semaphore | None = None

    async def start(self) -> None:
        # Callbacks in flight are bounded, like a provider's own webhook senders: thousands
        # of simultaneous posts only slow each other (and the receiver) down.
        limit = self.config.callback_concurrency
        self._slots = asyncio.Semaphore(limit)
        self._client = httpx.AsyncClient(
            timeout=10, limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        )

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()

    def schedule_sequence(self, callbacks: list[Callback]) -> None:
        """Send callbacks in order, each after the configured delay; maybe reversed (out of
        order), maybe each twice (duplicates)."""
        if not self.config.callbacks or not callbacks:
            return
        if len(callbacks) > 1 and self.faults.chance(self.config.reorder_rate):
            callbacks = list(reversed(callbacks))
        sequence: list[Callback] = []
        for callback in callbacks:
            sequence.append(callback)
            if self.faults.chance(self.config.duplicate_rate):
                sequence.append(callback)
        self._spawn(self._deliver_all(sequence))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_all(self, callbacks: list[Callback]) -> None:
        for callback in callbacks:
            await asyncio.sleep(self.config.callback_delay)
            await self._deliver(callback)

    async def _deliver(self, callback: Callback, attempts: int = 3) -> None:
        assert self._slots is not None
        async with self._slots:
            await self._post(callback, attempts)

    async def _post(self, callback: Callback, attempts: int) -> None:
        assert self._client is not None
        for attempt in range(attempts):
            try:
                response = await self._client.post(
                    callback.url,
                    headers=dict(callback.headers),
                    data=dict(callback.data) if callback.data is not None else None,
                    content=callback.content,
                )
            except httpx.HTTPError as exc:
                log.debug("callback to %s failed: %s", callback.url, exc)
            else:
                if response.status_code < 500:
                    self.ledger.callback()
                    return
            self.ledger.callback_failed()
            await asyncio.sleep(0.2 * 2**attempt)
