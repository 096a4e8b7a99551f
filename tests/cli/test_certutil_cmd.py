"""`certtriage certutil`: table, JSON purity and determinism, exit codes, help."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from analyzer.cli import certutil_cmd
from analyzer.cli.app import EXIT_NO_INPUT, EXIT_OK, EXIT_USAGE, app
from tests.conftest import FIXTURES

REAL = FIXTURES / "real" / "certutil"
ACRN = REAL / "acrn-docs-v-store-strongcsp-keyspec2-signature-notexportable.txt"
JOINED = REAL / "aws-cloudhsm-repairstore-ksp-mangled-newlines.txt"
runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["certutil", *args], env={"COLUMNS": "200"})


def test_help_documents_the_command() -> None:
    result = run("--help")
    assert result.exit_code == EXIT_OK
    assert "--json" in result.stdout and "FILE" in result.stdout
    assert "certutil" in runner.invoke(app, ["--help"]).stdout


def test_an_empty_file_is_said_to_be_empty(tmp_path: Path) -> None:
    (tmp_path / "my.txt").write_bytes(b"")
    result = run("--json", str(tmp_path / "my.txt"))
    assert result.exit_code == EXIT_NO_INPUT
    (entry,) = json.loads(result.stdout)["inputs"]
    assert (entry["status"], entry["messages"]) == (
        "skipped",
        [f"{tmp_path}/my.txt: empty file (0 bytes): nothing to read"],
    )


def test_verbose_json_keeps_stdout_pure_and_prints_every_message_on_stderr(
    tmp_path: Path,
) -> None:
    from analyzer.cli import commands  # noqa: F401  (registers every command)

    plain = run("--json", str(JOINED))
    verbose = runner.invoke(app, ["-v", "certutil", "--json", str(JOINED)])
    assert verbose.exit_code == EXIT_OK
    assert verbose.stdout == plain.stdout  # the document alone, byte-identical
    messages = json.loads(verbose.stdout)["inputs"][0]["messages"]
    assert len(messages) == 4
    for message in messages:
        assert f"warning: {message}" in verbose.stderr
    # analyze -v: the messages of inputs that were read are shown too, not only of failed ones
    args = ["analyze", str(JOINED), "--out", str(tmp_path)]
    quiet, loud = runner.invoke(app, args), runner.invoke(app, ["-v", *args])
    assert quiet.exit_code == loud.exit_code
    assert "joined lines split before" not in quiet.output
    for message in messages:
        assert message in loud.output


def test_top_level_help_reflows_every_command_summary() -> None:
    """Docstrings are wrapped at the code's width; the command list must not keep those breaks."""
    from analyzer.cli import commands  # noqa: F401  (registers every command)

    out = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    docs = {c.name: c.callback.__doc__ for c in app.registered_commands if c.callback}
    assert set(docs) == {"analyze", "certutil", "collector", "events", "serve", "triage"}
    for name, doc in docs.items():
        assert doc
        first_line = " ".join(doc.split())[:150]  # more than the docstring's first line
        assert first_line in out, name


def test_table_shows_the_key_facts_and_the_warnings() -> None:
    result = run(str(ACRN), str(JOINED))
    assert result.exit_code == EXIT_OK
    out = result.stdout
    assert "ff2771bd5bd1f7086ab96fb9532b594ed8619c3b" in out
    assert "7fd85c0027bf37743d715b544ec094204575bc65" in out
    assert "Microsoft Strong Cryptographic Provider [csp]" in out
    assert "Cavium Key Storage Provider [ksp]" in out
    assert "[partial, utf-8]" in out and "joined lines split" in out


def test_json_stdout_is_only_the_document_and_deterministic(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "analyzer", "certutil", "--json", str(JOINED), str(ACRN)]
    first = subprocess.run(args, capture_output=True, text=True, check=False)
    second = subprocess.run(args, capture_output=True, text=True, check=False)
    assert first.returncode == EXIT_OK
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert document["schema"] == "certtriage.certutil/1"
    # inputs in path order, as every command reads them (analyzer.reading)
    assert [(Path(i["path"]).name, i["status"]) for i in document["inputs"]] == sorted(
        [(JOINED.name, "partial"), (ACRN.name, "ok")]
    )
    by_thumbprint = {c["thumbprint"]: c for c in document["certificates"]}
    assert set(by_thumbprint) == {
        "7fd85c0027bf37743d715b544ec094204575bc65",
        "ff2771bd5bd1f7086ab96fb9532b594ed8619c3b",
    }
    assert by_thumbprint["ff2771bd5bd1f7086ab96fb9532b594ed8619c3b"]["key"]["keyspec"] == 2
    assert "partial" in first.stderr  # messages go to stderr, not stdout


def test_a_file_that_is_not_a_dump_is_skipped_and_alone_exits_3(tmp_path: Path) -> None:
    icacls = tmp_path / "icacls.txt"
    icacls.write_text(
        "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys Everyone:(R,W)\n"
        "                                          BUILTIN\\Administrators:(F)\n"
        "Successfully processed 1 files; Failed processing 0 files\n",
        encoding="utf-8",
    )
    result = run("--json", str(icacls))
    assert result.exit_code == EXIT_NO_INPUT
    document = json.loads(result.stdout)
    assert document["inputs"][0]["status"] == "skipped"
    assert document["certificates"] == []


def test_missing_file_is_an_error_input_and_one_good_input_still_exits_0() -> None:
    result = run("--json", "does/not/exist.txt", str(ACRN))
    assert result.exit_code == EXIT_OK
    inputs = json.loads(result.stdout)["inputs"]
    missing = next(i for i in inputs if i["path"] == "does/not/exist.txt")
    assert (missing["kind"], missing["status"]) == ("collection", "error")
    assert missing["messages"][0].endswith("does/not/exist.txt: not found")
    assert run("does/not/exist.txt").exit_code == EXIT_NO_INPUT


def test_no_argument_is_a_usage_error() -> None:
    assert run().exit_code == EXIT_USAGE


def test_utf16_dump_made_by_the_writer_reads_through_the_cli(tmp_path: Path) -> None:
    from fixtures.writers.certutil_dump import CertSpec, DumpSpec, write

    spec = CertSpec(subject="CN=shop.contoso.com", keyspec=2, exportable=False)
    path = write(DumpSpec(certs=[spec], verbose=True), tmp_path / "store.txt")
    result = run("--json", str(path))
    assert result.exit_code == EXIT_OK
    (cert,) = json.loads(result.stdout)["certificates"]
    assert cert["thumbprint"] == spec.thumbprint
    assert cert["key"]["keyspec"] == 2 and cert["key"]["exportable"] is False
    assert json.loads(result.stdout)["inputs"][0]["encoding"] == "utf-16-le"


def test_a_reader_crash_is_an_error_input_like_in_every_command(monkeypatch) -> None:
    from analyzer import readers

    spec = readers.registry()["certutil"]

    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(readers._REGISTRY, "certutil", replace(spec, read=explode))
    result = run("--json", str(ACRN))
    assert result.exit_code == EXIT_NO_INPUT
    (entry,) = json.loads(result.stdout)["inputs"]
    assert (entry["kind"], entry["status"]) == ("certutil", "error")
    assert entry["messages"] == [
        f"{entry['path']}: internal error in the certutil reader: RuntimeError: boom"
    ]


def test_an_internal_error_is_one_line_naming_what_failed_and_exit_70(monkeypatch) -> None:
    from analyzer.cli.app import EXIT_INTERNAL

    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(certutil_cmd, "certificate_tables", explode)
    result = run(str(ACRN))
    assert result.exit_code == EXIT_INTERNAL
    assert "internal error while processing the certificate table" in result.output
    assert "RuntimeError: boom" in result.output and "Traceback" not in result.output
