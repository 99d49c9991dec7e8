"""Run the app with uvicorn in a background thread, on a free port of 127.0.0.1.

For tests, benchmarks and notebooks that need a live server in the same process::

    with serve_in_background(create_app(settings)) as url:
        httpx.get(f"{url}/healthz")
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

__all__ = ["serve_in_background"]


@contextlib.contextmanager
def serve_in_background(
    app: FastAPI, *, host: str = "127.0.0.1", port: int = 0, timeout_s: float = 120.0
) -> Iterator[str]:
    """Serve ``app`` until the block ends.

    Parameters
    ----------
    app
        The application (its lifespan runs in the server thread).
    host
        Address to listen on.
    port
        Port; 0 picks a free one.
    timeout_s
        Seconds to wait for the start-up to finish.

    Yields
    ------
    str
        The base URL, e.g. ``"http://127.0.0.1:43117"``.

    Raises
    ------
    RuntimeError
        If the server does not start within ``timeout_s``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    chosen = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="circles-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            msg = f"the server on {host}:{chosen} did not start within {timeout_s:g} s"
            raise RuntimeError(msg)
        time.sleep(0.05)
    try:
        yield f"http://{host}:{chosen}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
