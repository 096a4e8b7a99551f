"""What `certtriage serve` is told: addresses, limits, folders; and the checks that make the
defaults safe (loopback only, or a token). Imports nothing from the web framework."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import UsageError

# The addresses a server may listen on without a token: only this machine can reach them. Any
# other bind (0.0.0.0, a LAN address, even another 127.x address) needs a token.
LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")
# Host headers a browser sends to a loopback server; anything else on a server without a token is
# DNS rebinding (an outside page's name resolved to 127.0.0.1) and is refused.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
MIN_TOKEN_CHARS = 16
TOKEN_VARIABLE = "CERTTRIAGE_TOKEN"

DEFAULT_PORT = 8000
DEFAULT_KEEP_DAYS = 7.0
DEFAULT_MAX_UPLOAD_MB = 512
DEFAULT_MAX_FILES = 100
DEFAULT_UPLOAD_SECONDS = 300.0
DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str | None = None
    data_dir: Path = Path()
    triage_dir: Path | None = None
    keep_days: float = DEFAULT_KEEP_DAYS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    max_files: int = DEFAULT_MAX_FILES
    upload_seconds: float = DEFAULT_UPLOAD_SECONDS  # to receive one whole request body
    timeout: float | None = 300.0  # per analysis, like triage's per-ticket limit
    workers: int = DEFAULT_WORKERS
    queue: int = 32  # analyses waiting for a worker beyond this are refused (503)

    @property
    def loopback_only(self) -> bool:
        return self.host in LOOPBACK_NAMES

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def default_data_dir() -> Path:
    """The user's own cache folder (never a shared temp folder another user could prepare)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "certtriage" / "serve"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "certtriage" / "serve"


def check_config(config: ServeConfig) -> None:
    """Refuse a configuration that would be unsafe or cannot work (UsageError, one line)."""
    if config.token is not None and len(config.token) < MIN_TOKEN_CHARS:
        raise UsageError(
            f"the token must have at least {MIN_TOKEN_CHARS} characters "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    if not config.loopback_only and config.token is None:
        raise UsageError(
            f"--host {config.host} can be reached from other machines: give a token "
            f"(--token or the {TOKEN_VARIABLE} environment variable), or keep the default "
            "127.0.0.1"
        )
    if not 0 <= config.port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {config.port}")
    if config.keep_days <= 0:
        raise UsageError("--keep-days must be more than 0")
    if config.max_upload_bytes <= 0 or config.max_files <= 0 or config.workers <= 0:
        raise UsageError("--max-upload-mb, --max-files and --workers must be at least 1")
    if config.upload_seconds <= 0 or (config.timeout is not None and config.timeout <= 0):
        raise UsageError("--upload-timeout and --timeout must be more than 0")
    if config.triage_dir is not None and not config.triage_dir.is_dir():
        raise UsageError(f"--triage-dir {config.triage_dir} is not a folder")
