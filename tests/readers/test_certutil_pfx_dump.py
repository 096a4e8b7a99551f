"""`certutil [-v] -dump <file>.pfx`: a `Certificate N` banner followed by `Begin Nesting Level` /
`Element N` is ONE certificate; "Private key is NOT plain text exportable" (a CNG key) means
exportable, encrypted only, and the JSON says so (`export_policy`)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from analyzer.cli import commands  # noqa: F401  (registers the commands)
from analyzer.cli.app import app
from analyzer.inputs.files import InputFile
from analyzer.model import Level
from analyzer.readers import ReadOptions
from analyzer.readers.certutil import read_certutil
from fixtures.writers.certutil_fixtures import PFX_ROOT, PFX_SERVER
from tests.conftest import FIXTURES

DUMPS = ["en-dump-pfx-banner-nesting.txt", "en-v-dump-pfx-banner-nesting-utf16.txt"]


@pytest.mark.parametrize("name", DUMPS)
def test_banner_and_nesting_level_are_one_certificate(name: str) -> None:
    result = read_certutil(InputFile.from_path(FIXTURES / "certutil" / name), ReadOptions())
    assert [(c.index, c.thumbprint) for c in result.certificates] == [
        (0, PFX_SERVER.thumbprint),
        (1, PFX_ROOT.thumbprint),
    ]
    assert [m.text for m in result.messages if m.level is Level.WARNING] == []
    server, root = (c.key for c in result.certificates)
    assert server is not None and root is not None
    assert (server.exportable, server.export_policy, server.state) == (
        True,
        "encrypted-only",
        "ok",
    )
    assert (root.state, root.export_policy) == ("no-key-info", None)


def test_the_json_and_the_table_say_encrypted_only() -> None:
    path = str(FIXTURES / "certutil" / DUMPS[0])
    runner = CliRunner()
    document = json.loads(runner.invoke(app, ["certutil", "--json", path]).stdout)
    assert document["certificates"][0]["key"]["export_policy"] == "encrypted-only"
    table = runner.invoke(app, ["certutil", path], env={"COLUMNS": "250"}).stdout
    assert "yes (encrypted only)" in table


def test_not_exportable_and_a_plain_opened_key_have_their_policy() -> None:
    result = read_certutil(
        InputFile.from_path(FIXTURES / "certutil" / "en-store-utf8-bom-lf.txt"), ReadOptions()
    )
    policies = {c.subject: c.key.export_policy for c in result.certificates if c.key}
    assert policies["CN=www.contoso.com, OU=Web, O=Contoso, C=US"] == "none"
    assert policies["CN=api.contoso.com"] == "allowed"
