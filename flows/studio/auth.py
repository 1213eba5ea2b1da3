"""A token, always, even on localhost: any web page a user visits can POST to 127.0.0.1.

- The token is REELGRAPH_UI_TOKEN, else the one in `.reelgraph/ui-token` (created 0600 on first use).
- API clients send `Authorization: Bearer <token>`.
- Browsers open the printed login URL (`/login?token=...`) once and get an HttpOnly, SameSite=Strict
  cookie, because EventSource, <img> and <video> cannot send headers. The cookie holds a digest of
  the token, not the token. The login page answers with a page that navigates on to `/` itself: a
  Strict cookie is not sent on the redirect that follows a link clicked in another site or app.
- Writes (POST, PUT, PATCH, DELETE) that carry an Origin must come from this server's own origin.
- Everything else answers 401, except the login page.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

TOKEN_ENV = "REELGRAPH_UI_TOKEN"
TOKEN_FILE = "ui-token"
COOKIE = "reelgraph_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
LOGIN_PATH = "/login"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def load_or_create_token(state_dir: Path) -> str:
    """REELGRAPH_UI_TOKEN, else state_dir/ui-token (written once, readable by its owner only)."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    path = state_dir / TOKEN_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
        descriptor = os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600)
    token = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def cookie_value(token: str) -> str:
    return hashlib.sha256(f"reelgraph-ui-cookie:{token}".encode()).hexdigest()


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookies(scope: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, content = part.strip().partition("=")
                found[name] = content
    return found


def own_origin(scope: dict) -> str:
    host = _header(scope, b"host") or ""
    return f"{scope.get('scheme', 'http')}://{host}"


class TokenAuth:
    """ASGI middleware: every HTTP request but the login page needs the token (see the module doc)."""

    def __init__(self, app, token: str) -> None:
        self.app, self.token, self.cookie = app, token, cookie_value(token)

    def authenticated_by(self, scope: dict) -> str | None:
        authorization = _header(scope, b"authorization") or ""
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(credentials.strip().encode(), self.token.encode()):
            return "bearer"
        cookie = _cookies(scope).get(COOKIE)
        if cookie and secrets.compare_digest(cookie.encode(), self.cookie.encode()):
            return "cookie"
        return None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] == LOGIN_PATH:
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        origin = _header(scope, b"origin")
        if method in UNSAFE_METHODS and origin is not None and origin != own_origin(scope):
            await _deny(send, 403, f"cross-origin write refused: Origin {origin} is not {own_origin(scope)}")
            return
        how = self.authenticated_by(scope)
        if how is None and _wants_page(scope):  # a browser opening the studio: point it at the login page
            await _send(send, 401, _LOGIN_NEEDED.encode(), b"text/html; charset=utf-8")
            return
        if how is None:
            await _deny(send, 401, "a token is needed: send 'Authorization: Bearer <token>', or open the "
                                   "login URL `reelgraph ui` printed (the token is in .reelgraph/ui-token "
                                   "or REELGRAPH_UI_TOKEN)")
            return
        scope.setdefault("state", {})["auth"] = how
        await self.app(scope, receive, send)


def _wants_page(scope: dict) -> bool:
    return (scope.get("method") == "GET" and not scope["path"].startswith("/api/")
            and "text/html" in (_header(scope, b"accept") or ""))


async def _deny(send, status: int, message: str) -> None:
    await _send(send, status, json.dumps({"detail": message}).encode(), b"application/json")


async def _send(send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="reelgraph"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_LOGIN_NEEDED = """<!doctype html><meta charset="utf-8"><title>reelgraph studio: log in</title>
<meta http-equiv="refresh" content="0; url=/login"><p>Log in first: <a href="/login">/login</a>
(the URL `reelgraph ui` printed logs you in at once).</p>"""


login_router = APIRouter()

_LOGIN_FORM = """<!doctype html><meta charset="utf-8"><title>reelgraph studio: log in</title>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto">
<h1>reelgraph studio</h1>{message}
<form method="get" action="/login"><label>Token <input name="token" type="password" size="48" autofocus></label>
<button>Log in</button></form>
<p>The token is printed by <code>reelgraph ui</code>, kept in <code>.reelgraph/ui-token</code>,
or set by <code>REELGRAPH_UI_TOKEN</code>.</p></body>"""

_LOGGED_IN = """<!doctype html><meta charset="utf-8"><title>reelgraph studio</title>
<meta http-equiv="refresh" content="0; url=/"><p>Logged in. <a href="/">Open the studio</a>.</p>"""


@login_router.get(LOGIN_PATH, include_in_schema=False)
def login(request: Request) -> HTMLResponse:
    token = request.app.state.studio.config.token
    offered = parse_qs(request.url.query).get("token", [""])[0]
    if not offered:
        return HTMLResponse(_LOGIN_FORM.format(message=""))
    if not secrets.compare_digest(offered.encode(), token.encode()):
        return HTMLResponse(_LOGIN_FORM.format(message=f"<p style='color:#b00'>{html.escape('Wrong token.')}</p>"),
                            status_code=401)
    response = HTMLResponse(_LOGGED_IN, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    response.set_cookie(COOKIE, cookie_value(token), max_age=COOKIE_MAX_AGE, httponly=True, samesite="strict",
                        path="/", secure=request.url.scheme == "https")
    return response
