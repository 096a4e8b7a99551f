"""Stand-in analyses for the server's crash and hang tests: they crash, hang or raise when an
uploaded file's name says so, and run the real analysis otherwise. In an importable module
because the server's worker processes import them by name."""

from __future__ import annotations

import os
import time

from analyzer.serve.job import UploadJob, UploadResult, analyse_upload


def misbehaving(job: UploadJob) -> UploadResult:
    names = " ".join(job.names)
    if "crash" in names:
        os._exit(3)
    if "hang" in names:
        time.sleep(3600)
    if "raise" in names:
        raise RuntimeError("the analysis raised")
    return analyse_upload(job)
