"""The checks every request passes before any route sees it (an ASGI middleware): the token,
the Host and Origin headers, and the body's size and time limits; and the headers every
response gets.

- Token (when configured): `Authorization: Bearer <token>`, or the session cookie that the
  login page sets; compared in constant time (`hmac.compare_digest`). Never read from a URL.
- Without a token the server listens on loopback only, and a request naming any other host is
  refused: that is an outside web page reaching the server through DNS rebinding.
- A POST from a page of another origin is refused (cross-site request forgery).
- A body larger than the limit is refused when its Content-Length says so, or as soon as the
  streamed bytes pass the limit; a body that takes longer than the upload time limit to arrive
  (a slow client) is refused when the time is up. The connection is closed afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from analyzer.serve.config import LOOPBACK_HOSTS, ServeConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ErrorResponder = Callable[[Scope, int, str], Awaitable[tuple[bytes, list[tuple[bytes, bytes]]]]]

SESSION_COOKIE = "certtriage_session"
OPEN_PATHS = ("/login",)  # the only page reachable without the token: where it is typed
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # Not "no-referrer": with it a browser sends "Origin: null" on form posts, which the origin
    # check must refuse. "same-origin" still tells other sites nothing (report ids stay here).
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def session_value(token: str) -> str:
    """What the session cookie holds: derived from the token, so that the cookie alone does not
    reveal it, and every server with the same token accepts it."""
    return hmac.new(token.encode("utf-8"), b"certtriage serve session", hashlib.sha256).hexdigest()


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


class Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _headers(scope: Scope) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", []):
        out.setdefault(name.lower(), value)
    return out


def _cookie(header: bytes, name: str) -> str | None:
    for part in header.decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    def __init__(self, app: ASGIApp, config: ServeConfig, error: ErrorResponder) -> None:
        self.app = app
        self.config = config
        self.error = error
        self.session = session_value(config.token) if config.token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_common_headers(send)
        headers = _headers(scope)
        try:
            self._check_host(headers)
            self._check_token(scope, headers)
            self._check_origin(scope, headers)
            self._check_length(headers)
        except Rejected as refused:
            await self._answer(scope, send, refused, close=refused.status == 413)
            return
        await self._run_limited(scope, receive, send)

    def _with_common_headers(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in COMMON_HEADERS if h[0] not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", DEFAULT_CSP))
                message["headers"] = headers
            await send(message)

        return sending

    def _check_host(self, headers: dict[bytes, bytes]) -> None:
        if self.config.token is not None:
            return
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if _host_name(host) not in LOOPBACK_HOSTS:
            raise Rejected(421, "this server answers only to 127.0.0.1, localhost or [::1]")

    def _check_token(self, scope: Scope, headers: dict[bytes, bytes]) -> None:
        if self.config.token is None or scope["path"] in OPEN_PATHS:
            return
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and token_matches(given.strip(), self.config.token):
            return
        cookie = _cookie(headers.get(b"cookie", b""), SESSION_COOKIE)
        if cookie is not None and self.session and token_matches(cookie, self.session):
            return
        raise Rejected(401, "a token is needed: Authorization: Bearer <token>, or log in")

    def _check_origin(self, scope: Scope, headers: dict[bytes, bytes]) -> None:
        if scope["method"] in SAFE_METHODS:
            return
        origin = headers.get(b"origin")
        if origin is None:  # not a browser's cross-site request (those always carry it)
            return
        expected = f"{scope.get('scheme', 'http')}://{headers.get(b'host', b'').decode('latin-1')}"
        if origin.decode("latin-1").lower() != expected.lower():
            raise Rejected(403, "request from a page of another site refused")

    def _check_length(self, headers: dict[bytes, bytes]) -> None:
        declared = headers.get(b"content-length")
        if declared is None:
            return
        try:
            length = int(declared)
        except ValueError:
            raise Rejected(400, "Content-Length is not a number") from None
        if length > self.config.max_upload_bytes:
            raise Rejected(413, self._too_large())

    def _too_large(self) -> str:
        return f"upload larger than the limit of {self.config.max_upload_bytes} bytes"

    async def _run_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a receive that counts and times the body, and answer for it when
        the body breaks a limit (whatever the app made of the exception it got)."""
        state: dict[str, Any] = {"received": 0, "rejected": None, "started": False}
        deadline = time.monotonic() + self.config.upload_seconds

        async def limited_receive() -> Message:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise asyncio.TimeoutError
                message = await asyncio.wait_for(receive(), left)
            except asyncio.TimeoutError:
                seconds = f"{self.config.upload_seconds:g}"
                state["rejected"] = Rejected(408, f"upload not received within {seconds} s")
                raise state["rejected"] from None
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.config.max_upload_bytes:
                    state["rejected"] = Rejected(413, self._too_large())
                    raise state["rejected"]
            return message

        async def guarded_send(message: Message) -> None:
            if state["rejected"] is not None:
                return  # the app's answer to the exception it got; ours goes instead
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if state["rejected"] is None:
                raise
        refused = state["rejected"]
        if refused is not None and not state["started"]:
            await self._answer(scope, send, refused, close=True)

    async def _answer(self, scope: Scope, send: Send, refused: Rejected, close: bool) -> None:
        body, headers = await self.error(scope, refused.status, refused.message)
        if refused.status == 401 and not _wants_json(scope):
            headers = [(b"location", b"/login"), *headers]
            status = 303
        else:
            status = refused.status
        if refused.status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="certtriage"'))
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        if close:  # the rest of the body is not read: the connection cannot carry another request
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _wants_json(scope: Scope) -> bool:
    return is_api_path(scope["path"])


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")
