"""`certtriage serve`: the web application and HTTP API (needs the `serve` extra).

FastAPI and uvicorn are imported only when this command runs, so that the other commands start
without them. Exit codes: 0 stopped (Ctrl-C); 2 usage error (an unsafe or impossible option, the
extra missing, the address cannot be used).
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from analyzer.cli.app import EXIT_OK, EXIT_USAGE, app, stderr, stdout
from analyzer.errors import UsageError
from analyzer.serve.config import (
    DEFAULT_KEEP_DAYS,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_PORT,
    DEFAULT_UPLOAD_SECONDS,
    DEFAULT_WORKERS,
    TOKEN_VARIABLE,
    ServeConfig,
    check_config,
    default_data_dir,
)
from analyzer.visible import visible

SERVE_MODULES = ("fastapi", "uvicorn", "starlette", "pydantic", "python_multipart", "multipart")
INSTALL_HINT = "pip install 'certtriage[serve]'"
MAX_CONNECTIONS = 100  # beyond this uvicorn answers 503 at once: a flood cannot pile up


def _usage(text: str) -> NoReturn:
    stderr.print(visible(f"certtriage serve: {text}"), markup=False)
    raise typer.Exit(EXIT_USAGE)


def _web_modules() -> tuple[Any, Any]:
    """(analyzer.serve.app, uvicorn), or exit 2 saying how to install the extra."""
    if importlib.util.find_spec("python_multipart") is None:
        _usage(f"needs python-multipart for uploads: {INSTALL_HINT}")
    try:
        import uvicorn

        from analyzer.serve import app as web
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in SERVE_MODULES:
            raise
        _usage(f"needs the 'serve' extra ({exc.name} is missing): {INSTALL_HINT}")
    return web, uvicorn


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        _usage(f"cannot listen on {host}: {exc.strerror or exc}")
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        _usage(f"cannot listen on {host} port {port}: {exc.strerror or exc}")
    sock.set_inheritable(True)
    return sock


@app.command("serve")
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but 127.0.0.1, ::1 or localhost needs a token.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="TCP port (0: any free port).")
    ] = DEFAULT_PORT,
    triage_dir: Annotated[
        Path | None,
        typer.Option(
            "--triage-dir", help="A `certtriage triage` output folder to browse (read-only)."
        ),
    ] = None,
    keep_days: Annotated[
        float, typer.Option("--keep-days", help="Delete upload reports older than this.")
    ] = DEFAULT_KEEP_DAYS,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar=TOKEN_VARIABLE,
            show_envvar=True,
            help="Token every request must carry (Authorization: Bearer, or the login page).",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder for reports and in-flight uploads (default: the user's cache folder).",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Analyses run at once, one process each.")
    ] = DEFAULT_WORKERS,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds one analysis may take (0: no limit).")
    ] = 300.0,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", help="Largest upload (all files together).")
    ] = DEFAULT_MAX_UPLOAD_MB,
    max_files: Annotated[
        int, typer.Option("--max-files", help="Most files in one upload.")
    ] = DEFAULT_MAX_FILES,
    upload_timeout: Annotated[
        float, typer.Option("--upload-timeout", help="Seconds one upload may take to arrive.")
    ] = DEFAULT_UPLOAD_SECONDS,
    openapi: Annotated[
        bool, typer.Option("--openapi", help="Print the API's OpenAPI document and exit.")
    ] = False,
) -> None:
    """Serve the web application (upload a ticket's files, read its report, browse a triage run)
    and the HTTP API for ticket systems (POST /api/analyze). Listens on 127.0.0.1 unless told
    otherwise; any other address needs a token."""
    config = ServeConfig(
        host=host,
        port=port,
        token=token or None,
        data_dir=data_dir or default_data_dir(),
        triage_dir=triage_dir,
        keep_days=keep_days,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        max_files=max_files,
        upload_seconds=upload_timeout,
        timeout=timeout or None,
        workers=workers,
    )
    if timeout < 0:
        _usage("--timeout must be 0 (no limit) or more")
    try:
        check_config(config)
    except UsageError as exc:
        _usage(str(exc))
    web, uvicorn = _web_modules()
    application = web.create_app(config)
    if openapi:
        typer.echo(web.openapi_text(application), nl=False)
        raise typer.Exit(EXIT_OK)
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    stdout.print(
        f"certtriage serve: http://{shown}:{bound}/ (reports in {config.data_dir}; Ctrl-C stops)",
        markup=False,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            log_level="warning",
            access_log=False,  # request paths are the client's text: not for the terminal
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=10,
        )
    )
    server.run(sockets=[sock])
    raise typer.Exit(EXIT_OK)
