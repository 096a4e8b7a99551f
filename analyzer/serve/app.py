"""The FastAPI application of `certtriage serve`: pages, API, and the limits around them.

Routes: `/` upload page, `POST /upload` (the page's plain form), `/reports/{id}` a report,
`/triage/...` a triage output folder (read-only), `/login` (token form, when a token is set);
`POST /api/analyze`, `GET /api/reports/{id}`, `GET /healthz`, `GET /openapi.json`.
Every request passes `guard.Guard` first. API errors are JSON `{"message": ...}`; page errors
are an HTML page; neither ever carries a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from analyzer import __version__
from analyzer.case import normalise_thumbprint, parse_at
from analyzer.errors import UsageError
from analyzer.inputs.archive_base import CONTROL_CHARS
from analyzer.serve import pages
from analyzer.serve.config import ServeConfig
from analyzer.serve.guard import (
    SESSION_COOKIE,
    Guard,
    Scope,
    is_api_path,
    session_value,
    token_matches,
)
from analyzer.serve.job import UploadJob, analyse_upload
from analyzer.serve.store import (
    REPORT_HTML,
    REPORT_JSON,
    Refused,
    ReportStore,
    remove_stale_uploads,
    upload_folder,
    upload_name,
)
from analyzer.serve.workers import (
    AnalysisFailed,
    AnalysisTimedOut,
    Busy,
    JobFunction,
    WorkerPool,
)

log = logging.getLogger("certtriage.serve")

COPY_CHUNK = 1024 * 1024
MAX_FORM_FIELDS = 16  # thumbprint, at: anything beyond a handful is not our form
PURGE_EVERY_SECONDS = 60.0
LOGIN_FAILURE_DELAY = 1.0  # seconds: slows guessing the token through the login form
TRIAGE_SUFFIXES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
}


class ErrorAnswer(BaseModel):
    message: str = Field(description="What went wrong, in one line.")


class AnalysisAnswer(BaseModel):
    id: str = Field(description="The report's id (kept for --keep-days).")
    report_url: str = Field(description="The HTML report of this analysis.")
    analysis: dict[str, Any] = Field(
        description="The certtriage.analysis/1 document (docs/analyze.md), as `certtriage "
        "analyze --json` writes it."
    )


class UnusableAnswer(AnalysisAnswer):
    message: str = Field(description="Why no uploaded input could be read.")


class Health(BaseModel):
    status: str
    version: str
    workers: int


UPLOAD_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "The ticket's attachments: files or archives (zip, 7z, "
                        "tar, tar.gz), one part each, named by their filename.",
                    },
                    "thumbprint": {
                        "type": "string",
                        "description": "The certificate selected in IIS (40 hex digits; spaces "
                        "and colons allowed).",
                    },
                    "at": {
                        "type": "string",
                        "description": "When the binding failed, ISO 8601 (UTC without an offset).",
                    },
                },
            }
        }
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorAnswer, "description": "Bad upload (no file, unsafe name, bad option)."},
    401: {"model": ErrorAnswer, "description": "Token missing or wrong."},
    408: {"model": ErrorAnswer, "description": "The upload was not received in time."},
    413: {"model": ErrorAnswer, "description": "The upload is larger than the limit."},
    500: {"model": ErrorAnswer, "description": "The analysis crashed."},
    503: {"model": ErrorAnswer, "description": "Too many analyses waiting."},
    504: {"model": ErrorAnswer, "description": "The analysis ran out of time."},
}


class Server:
    """The state behind the routes: configuration, the worker pool, the report store."""

    def __init__(self, config: ServeConfig, job_function: JobFunction) -> None:
        self.config = config
        self.store = ReportStore(config.reports_dir, config.keep_days)
        self.pool = WorkerPool(config.workers, config.timeout, config.queue, job_function)
        self.purged_at = 0.0

    def start(self) -> None:
        for folder in (self.config.data_dir, self.config.reports_dir, self.config.uploads_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.store.purge()
        remove_stale_uploads(self.config.uploads_dir)
        self.pool.start()

    def _purge_now_and_then(self) -> None:
        """Expired reports go before new ones come (at most once a minute: it lists them all)."""
        now = time.monotonic()
        if now - self.purged_at >= PURGE_EVERY_SECONDS:
            self.purged_at = now
            self.store.purge()

    async def analyse(self, request: Request) -> tuple[str, str, str | None]:
        """Analyse the uploaded files of one request: (report id, JSON document, why nothing
        was usable or None). Refused for a bad upload; AnalysisFailed/Busy from the pool."""
        async with request.form(
            max_files=self.config.max_files, max_fields=MAX_FORM_FIELDS
        ) as form:
            files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
            if not files:
                raise Refused("no file uploaded: send the ticket's files as 'files' parts")
            options = _options(_text(form.get("thumbprint")), _text(form.get("at")))
            self._purge_now_and_then()
            with upload_folder(self.config.uploads_dir) as folder:
                names = await _save(files, folder)
                job = UploadJob(str(folder), tuple(names), *options)
                result = await run_in_threadpool(self.pool.run, job)
        report_id = self.store.new_id()
        await run_in_threadpool(self.store.save, report_id, result.document, result.report_html)
        return report_id, result.document, result.unusable


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _options(thumbprint: str | None, at: str | None) -> tuple[str | None, str | None, bool]:
    try:
        at_utc, assumed = parse_at(at) if at else (None, False)
        return (normalise_thumbprint(thumbprint) if thumbprint else None), at_utc, assumed
    except UsageError as exc:
        raise Refused(str(exc).replace("--", "", 1)) from None


async def _save(files: list[UploadFile], folder: Path) -> list[str]:
    """Copy the uploaded files into the private folder under their checked names."""
    names: list[str] = []
    total = 0
    for upload in files:
        name = upload_name(upload.filename or "")
        if name.casefold() in (n.casefold() for n in names):  # one name on Windows, too
            raise Refused(f"two files are named {name!r}")
        target = folder / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as out:
                while chunk := await upload.read(COPY_CHUNK):
                    out.write(chunk)
                    total += len(chunk)
        except OSError as exc:  # e.g. 'a' and 'a/b' in one upload
            raise Refused(f"file {name!r} cannot be stored: {exc.strerror or exc}") from None
        names.append(name)
    if total == 0:
        raise Refused("every uploaded file is empty (0 bytes): nothing to analyse")
    return names


def _analysis_answer(report_id: str, report_url: str, document: str, message: str | None) -> str:
    """The answer's JSON, with the analysis document inserted as the renderer wrote it."""
    head = {"id": report_id, "report_url": report_url}
    if message is not None:
        head["message"] = message
    fields = json.dumps(head, sort_keys=True)[1:-1]
    return f'{{"analysis": {document.rstrip()}, {fields}}}'


async def _error_body(
    scope: Scope, status: int, message: str
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    if is_api_path(scope["path"]):
        body = json.dumps({"message": message}).encode("utf-8")
        return body, [(b"content-type", b"application/json")]
    title = (
        http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Error"
    )
    body = pages.error_page(status, title, message).encode("utf-8")
    return body, [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-security-policy", pages.ERROR_CSP.encode("ascii")),
    ]


async def error_response(request: Request, status: int, message: str) -> Response:
    body, headers = await _error_body(request.scope, status, message)
    response = Response(body, status_code=status)
    for name, value in headers:
        response.headers[name.decode("latin-1")] = value.decode("latin-1")
    return response


def _failure_status(exc: AnalysisFailed | Busy) -> int:
    if isinstance(exc, Busy):
        return 503
    return 504 if isinstance(exc, AnalysisTimedOut) else 500


def triage_file(root: Path, path: str) -> Path | None:
    """A file of the triage output folder that a browser may read: index, summaries and the
    tickets' reports; never a hidden file (stamps), never outside the folder."""
    parts = path.split("/") if path else ["index.html"]
    if parts[-1] == "":
        parts[-1] = "index.html"
    for part in parts:
        if not part or part.startswith(".") or "\\" in part or ":" in part or "\x00" in part:
            return None
    if Path(parts[-1]).suffix.lower() not in TRIAGE_SUFFIXES:
        return None
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    try:
        target.relative_to(base)
    except ValueError:  # a link pointing out of the folder
        return None
    return target if target.is_file() else None


def create_app(config: ServeConfig, job_function: JobFunction = analyse_upload) -> Any:
    server = Server(config, job_function)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        server.start()
        try:
            yield
        finally:
            await run_in_threadpool(server.pool.close)

    app = FastAPI(
        title="certtriage serve",
        version=__version__,
        summary="Why a Windows service cannot use the private key of its TLS certificate: "
        "analyse a ticket's attachments.",
        docs_url=None,  # the interactive pages load scripts from a CDN: not on this server
        redoc_url=None,
        lifespan=lifespan,
    )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return await error_response(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return await error_response(request, 422, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        # The path and the message may carry the client's text: no control character to a log.
        text = CONTROL_CHARS.sub("?", f"{request.url.path}: {type(exc).__name__}: {exc}")
        log.error("internal error on %s", text)
        return await error_response(request, 500, f"internal error: {type(exc).__name__}")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def upload_page() -> Response:
        html = pages.upload_page(
            config.max_files,
            f"{config.max_upload_bytes / 1024**2:g}",
            f"{config.keep_days:g}",
            config.triage_dir is not None,
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": pages.upload_csp()})

    @app.post("/upload", include_in_schema=False)
    async def upload_form(request: Request) -> Response:
        try:
            report_id, _, unusable = await server.analyse(request)
        except Refused as exc:
            return await error_response(request, exc.status, str(exc))
        except (AnalysisFailed, Busy) as exc:
            return await error_response(request, _failure_status(exc), str(exc))
        if unusable is not None:
            return await error_response(request, 422, f"{unusable} (report: /reports/{report_id})")
        return RedirectResponse(f"reports/{report_id}", status_code=303)

    @app.get("/reports/{report_id}", include_in_schema=False, name="report_page")
    async def report_page(report_id: str) -> Response:
        path = server.store.find(report_id, REPORT_HTML)
        if path is None:
            raise HTTPException(
                404, f"no report {report_id!r} (reports are kept {config.keep_days:g} days)"
            )
        return FileResponse(
            path,
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": pages.REPORT_CSP},
        )

    @app.post(
        "/api/analyze",
        response_model=AnalysisAnswer,
        responses={
            **ERRORS,
            422: {
                "model": UnusableAnswer,
                "description": "No uploaded input could be read; the report says why.",
            },
        },
        openapi_extra={"requestBody": UPLOAD_FORM},
        summary="Analyse a ticket's attachments",
    )
    async def api_analyze(request: Request) -> Response:
        """Upload the files of one ticket (multipart); get the certtriage.analysis/1 document
        and the URL of its HTML report."""
        try:
            report_id, document, unusable = await server.analyse(request)
        except Refused as exc:
            return await error_response(request, exc.status, str(exc))
        except (AnalysisFailed, Busy) as exc:
            return await error_response(request, _failure_status(exc), str(exc))
        url = str(request.url_for("report_page", report_id=report_id))
        body = _analysis_answer(report_id, url, document, unusable)
        return Response(
            body, status_code=200 if unusable is None else 422, media_type="application/json"
        )

    @app.get(
        "/api/reports/{report_id}",
        response_model=AnalysisAnswer,
        responses={404: {"model": ErrorAnswer, "description": "No such report (or expired)."}},
        summary="An earlier analysis",
    )
    async def api_report(request: Request, report_id: str) -> Response:
        path = server.store.find(report_id, REPORT_JSON)
        if path is None:
            raise HTTPException(
                404, f"no report {report_id!r} (reports are kept {config.keep_days:g} days)"
            )
        document = await run_in_threadpool(path.read_text, encoding="utf-8")
        url = str(request.url_for("report_page", report_id=report_id))
        return Response(
            _analysis_answer(report_id, url, document, None), media_type="application/json"
        )

    @app.get("/healthz", response_model=Health, summary="The server is up")
    async def healthz() -> Health:
        return Health(status="ok", version=__version__, workers=config.workers)

    @app.get("/triage", include_in_schema=False)
    async def triage_root() -> Response:
        return RedirectResponse("triage/", status_code=307)

    @app.get("/triage/{path:path}", include_in_schema=False)
    async def triage_page(path: str) -> Response:
        target = triage_file(config.triage_dir, path) if config.triage_dir is not None else None
        if target is None:
            raise HTTPException(404, "no such page in the triage folder")
        media_type = TRIAGE_SUFFIXES[target.suffix.lower()]
        headers = {"Content-Security-Policy": pages.triage_csp()}
        if target.suffix.lower() == ".csv":
            headers["Content-Disposition"] = 'attachment; filename="summary.csv"'
        return FileResponse(target, media_type=media_type, headers=headers)

    @app.get("/login", include_in_schema=False)
    async def login_form() -> Response:
        return HTMLResponse(
            pages.login_page(), headers={"Content-Security-Policy": pages.LOGIN_CSP}
        )

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        if config.token is None:
            return RedirectResponse("/", status_code=303)
        async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as form:
            given = _text(form.get("token")) or ""
        if not token_matches(given, config.token):
            await asyncio.sleep(LOGIN_FAILURE_DELAY)
            return HTMLResponse(
                pages.login_page("Wrong token."),
                status_code=401,
                headers={"Content-Security-Policy": pages.LOGIN_CSP},
            )
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_value(config.token),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    # The guard wraps everything, error pages included; it answers with the same bodies.
    app.add_middleware(Guard, config=config, error=_error_body)
    return app


def openapi_text(app: Any) -> str:
    """The OpenAPI document as checked into docs/serve-openapi.json (sorted, indented)."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
