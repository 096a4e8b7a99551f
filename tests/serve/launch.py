"""Start the server the way `certtriage serve` does, but with the misbehaving analyses of
`tests.serve.jobs` and a short time limit: `python -m tests.serve.launch DATA_DIR`. Prints the
same first line as the command (its URL)."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from analyzer.cli.serve_cmd import _listen
from analyzer.serve.app import create_app
from analyzer.serve.config import ServeConfig
from tests.serve.jobs import misbehaving

HANG_LIMIT_SECONDS = 2.0


def main() -> None:
    config = ServeConfig(port=0, data_dir=Path(sys.argv[1]), timeout=HANG_LIMIT_SECONDS, workers=1)
    sock = _listen(config.host, config.port)
    print(f"certtriage serve: http://127.0.0.1:{sock.getsockname()[1]}/", flush=True)
    app = create_app(config, job_function=misbehaving)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])


if __name__ == "__main__":
    main()
