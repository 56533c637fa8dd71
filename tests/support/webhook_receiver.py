"""A webhook receiver for tests: uvicorn on a free loopback port, in a thread of its own (so
that it answers while a test blocks, starting servers), recording every request."""

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]
WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)  # when it came, for the benchmarks

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """An ASGI app recording each request. It answers each path with the statuses of
    `answers[path]` in turn, then 200; while `gate` is not set, the first request waits."""

    answers: dict[str, list[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    gate: threading.Event | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        with self._lock:
            first = not self.received
            self.received.append(Received(scope["path"], headers, body))
            planned = self.answers.get(scope["path"], [])
            status = planned.pop(0) if planned else 200
        while first and self.gate is not None and not self.gate.is_set():
            await asyncio.sleep(0.02)
        extra = [(b"location", b"/elsewhere")] if 300 <= status < 400 else []
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": b""})

    def wait_for(self, count: int) -> list[Received]:
        """The requests once there are at least `count` (fails after WAIT_SECONDS)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} requests came"
            time.sleep(0.02)
        return list(self.received)

    async def received_at_least(self, count: int) -> list[Received]:
        """`wait_for`, without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, count)


@contextmanager
def receiving(receiver: Receiver) -> Iterator[str]:
    """Serve `receiver` while the block runs: its address, `http://127.0.0.1:PORT`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(receiver, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=asyncio.run, args=(server.serve(sockets=[listener]),))
    thread.start()
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not server.started:
            assert thread.is_alive(), "the receiver did not start"
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        if receiver.gate is not None:
            receiver.gate.set()
        server.should_exit = True
        thread.join()
        listener.close()
