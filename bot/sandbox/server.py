"""Serve a WSGI app on loopback in a background thread (waitress), for the sandbox, tests and demo.

The production server (`lexer-bot serve`) is bot/web.py's serve_forever, on the same waitress settings.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.web import create_waitress_server

logger = logging.getLogger(__name__)


@dataclass
class ServerHandle:
    url: str  # "http://127.0.0.1:PORT"
    port: int
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        server = self._server
        try:
            trigger = server.trigger  # type: ignore[attr-defined]
            # waitress's loop runs until its map is empty: idle keep-alive connections would hold it for
            # channel_timeout, so close them too, then wake the loop to close its trigger and return
            for channel in list(server._map.values()):  # type: ignore[attr-defined]
                if channel is not trigger:
                    try:
                        channel.close()
                    except Exception:
                        pass
            trigger.pull_trigger(trigger.close)
        except Exception:
            server.close()  # type: ignore[attr-defined]
        finally:
            self._thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0, threads: int = 16) -> ServerHandle:
    """Start `app` on host:port (0 = any free port) and return at once."""
    # waitress reads asyncore_loop_timeout as whole seconds: 0.2 became 0, a loop that polled without
    # waiting and starved every other thread of the GIL. stop() wakes the loop through its trigger anyway.
    server = create_waitress_server(
        app, host, port, threads, channel_timeout=120, cleanup_interval=5, asyncore_loop_timeout=1
    )
    actual_port = server.effective_port  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.run, name=f"wsgi-{actual_port}", daemon=True)
    thread.start()
    return ServerHandle(f"http://{host}:{actual_port}", actual_port, server, thread)
