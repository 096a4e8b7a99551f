"""The server's own pages (upload, login, error) from templates in `reports/`, rendered with the
report's jinja2 environment (autoescaping on), and the Content-Security-Policy of every kind of
page it serves. Each policy is the report's own (`default-src 'none'`, inline style only) plus
only what that page needs: the upload page its one script, allowed by hash, and requests to its
own origin."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from markupsafe import Markup

from analyzer.render.html import environment
from analyzer.render.json import TOOL
from analyzer.resources import reports_dir

UPLOAD_TEMPLATE = "serve_upload.html.j2"
UPLOAD_SCRIPT = "serve_upload.js"
LOGIN_TEMPLATE = "serve_login.html.j2"
ERROR_TEMPLATE = "serve_error.html.j2"
SERVE_CSS = "serve.css"
TRIAGE_SCRIPT = "index.sort.js"  # the triage index's sorter (analyzer/triage/outputs.py)

_FENCE = "base-uri 'none'; frame-ancestors 'none'"
REPORT_CSP = f"default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; {_FENCE}"
LOGIN_CSP = f"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; {_FENCE}"
ERROR_CSP = REPORT_CSP


def _resource(name: str) -> str:
    return (reports_dir() / name).read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


@lru_cache(maxsize=1)
def upload_csp() -> str:
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src '{script_hash(_resource(UPLOAD_SCRIPT))}'; "
        f"connect-src 'self'; form-action 'self'; {_FENCE}"
    )


@lru_cache(maxsize=1)
def triage_csp() -> str:
    """The triage pages' policy, as their own <meta> one, sent as a header too (a header also
    forbids framing, which a <meta> policy cannot)."""
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src '{script_hash(_resource(TRIAGE_SCRIPT))}'; form-action 'none'; {_FENCE}"
    )


def _render(template: str, **values: object) -> str:
    css = Markup(_resource(SERVE_CSS))  # our own file: unescaped inside <style>
    return environment().get_template(template).render(tool=TOOL, css=css, **values)


def upload_page(max_files: int, max_upload_mb: str, keep_days: str, triage: bool) -> str:
    return _render(
        UPLOAD_TEMPLATE,
        script=Markup(_resource(UPLOAD_SCRIPT)),
        max_files=max_files,
        max_upload_mb=max_upload_mb,
        keep_days=keep_days,
        triage=triage,
    )


def login_page(message: str | None = None) -> str:
    return _render(LOGIN_TEMPLATE, message=message)


def error_page(status: int, title: str, message: str) -> str:
    return _render(ERROR_TEMPLATE, status=status, title=title, message=message)
