"""Run a real server in a subprocess for the tests, on a free loopback port, and talk to it.

The server prints its URL on its first line (port 0: the system picks a free port, so there is
no race between choosing a port and binding it). Every request the tests send goes to a loopback
address, 127.0.0.0/8, and nowhere else."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0


@dataclass
class Served:
    url: str  # http://127.0.0.x:port/
    process: subprocess.Popen[str]
    data_dir: Path
    output: list[str] = field(default_factory=list)  # what the server printed after its URL

    @property
    def address(self) -> tuple[str, int]:
        host_port = self.url.split("//", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        return host, int(port)


def _drain(process: subprocess.Popen[str], into: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.append(line)


@contextmanager
def serving(
    args: Sequence[str], data_dir: Path, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Start `args` (a command that prints the server's URL first) and stop it afterwards."""
    process = subprocess.Popen(
        list(args),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert process.stdout is not None
    first = ""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        first = process.stdout.readline()
        if first.startswith("certtriage serve: http") or not first:
            break
    if not first.startswith("certtriage serve: http"):
        process.kill()
        rest = process.stdout.read()
        pytest.fail(f"the server did not start: {first}{rest}")
    url = first.split()[2]
    served = Served(url, process, data_dir)
    threading.Thread(target=_drain, args=(process, served.output), daemon=True).start()
    try:
        wait_until_up(served)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def command(*options: str) -> list[str]:
    return [sys.executable, "-m", "analyzer", "serve", "--port", "0", *options]


def wait_until_up(served: Served) -> None:
    """The socket is listening once the URL is printed; wait for the app's start-up too."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            status, _, _ = raw_request(served, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        except OSError:
            status = 0
        if status in (200, 401):
            return
        time.sleep(0.1)
    pytest.fail("the server did not answer /healthz")


def raw_request(
    served: Served,
    head: bytes,
    body_chunks: Sequence[bytes] = (),
    pause: float = 0.0,
    timeout: float = 30.0,
) -> tuple[int, dict[str, str], bytes]:
    """Send a request byte by byte as given (no client library fixing it up): the head, then
    each chunk, `pause` seconds apart, stopping as soon as the server answers. Returns the
    status, headers and body of the answer."""
    with socket.create_connection(served.address, timeout=timeout) as sock:
        sock.sendall(head)
        for chunk in body_chunks:
            if _answered(sock):
                break
            try:
                sock.sendall(chunk)
            except OSError:  # the server answered and closed while we were still sending
                break
            if pause:
                time.sleep(pause)
        return _read_answer(sock)


def _answered(sock: socket.socket) -> bool:
    import select

    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body
