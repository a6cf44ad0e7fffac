"""Run the simulator: in the foreground (``campaigns simulate-providers``) or in a background
thread for tests, the demo and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from simulator.app import create_app
from simulator.core import SimulatorConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BackgroundServer:
    """An ASGI app served by uvicorn on a thread of its own (``with`` starts and stops it)."""

    def __init__(
        self,
        app: Any,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        access_log: bool = False,
    ) -> None:
        self.port = port or free_port()
        self.host = host
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=self.port,
                log_level="info" if access_log else "warning",
                lifespan="on",
                access_log=access_log,
            )
        )
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def simulator_in_background(config: SimulatorConfig, port: int | None = None) -> BackgroundServer:
    """A started-on-enter simulator server."""
    return BackgroundServer(create_app(config), port)


def run(config: SimulatorConfig, port: int, host: str = "127.0.0.1") -> None:
    """Serve the simulator in the foreground until interrupted."""
    uvicorn.run(create_app(config), host=host, port=port, log_level="info", access_log=False)
