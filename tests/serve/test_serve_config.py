"""The safety checks on `certtriage serve`'s options, without starting a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import UsageError
from analyzer.serve.config import ServeConfig, check_config
from analyzer.serve.store import ReportStore

TOKEN = "a-token-of-enough-length"


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_names_need_no_token(host: str) -> None:
    check_config(ServeConfig(host=host))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "127.0.0.2", "192.0.2.10", "server.example"])
def test_any_other_address_needs_a_token(host: str) -> None:
    with pytest.raises(UsageError, match="give a token"):
        check_config(ServeConfig(host=host))
    check_config(ServeConfig(host=host, token=TOKEN))


def test_short_tokens_and_impossible_limits_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="at least 16 characters"):
        check_config(ServeConfig(token="short"))
    for bad in (
        ServeConfig(keep_days=0),
        ServeConfig(max_files=0),
        ServeConfig(workers=0),
        ServeConfig(upload_seconds=0),
        ServeConfig(port=70000),
        ServeConfig(triage_dir=tmp_path / "missing"),
    ):
        with pytest.raises(UsageError):
            check_config(bad)


def test_report_ids_never_reach_the_file_system(tmp_path: Path) -> None:
    store = ReportStore(tmp_path / "reports", keep_days=1)
    report_id = store.new_id()
    store.save(report_id, "{}\n", "<p>")
    assert store.find(report_id, "report.html") == tmp_path / "reports" / report_id / "report.html"
    (tmp_path / "outside.html").write_text("x", encoding="utf-8")
    for bad in ("..", "../outside.html", "a" * 21, "a" * 23, "a/b" + "c" * 19, ""):
        assert store.find(bad, "report.html") is None
    assert store.purge(now=10**12) == 1  # far in the future: expired
    assert store.find(report_id, "report.html") is None
