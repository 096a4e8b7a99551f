"""The collector script, checked as far as a Linux machine can: it parses as PowerShell (the
tree-sitter grammar), uses only cmdlets and .NET types that Windows PowerShell 4.0 (.NET 4.5)
has, no syntax newer than 4.0, and writes exactly the files of the collector's table. It has not
run on Windows here (README: "What was checked")."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from analyzer import __version__
from analyzer.collector import COLLECTED_FILES, SCRIPT_NAME, render_script

tree_sitter = pytest.importorskip("tree_sitter", reason="pip install -e '.[test]'")
tree_sitter_powershell = pytest.importorskip("tree_sitter_powershell")

# Cmdlets of Windows PowerShell 4.0's own modules (Microsoft.PowerShell.Core, .Management,
# .Utility, .Security and CimCmdlets, all 3.0 or older). Compress-Archive (5.0) is not here.
PS4_CMDLETS = frozenset(
    {
        "Add-PSSnapin",
        "Add-Type",
        "ForEach-Object",
        "Format-List",
        "Get-ChildItem",
        "Get-CimInstance",
        "Get-Date",
        "Get-Location",
        "Get-Module",
        "Get-PSSnapin",
        "Import-Module",
        "Join-Path",
        "New-Item",
        "New-Object",
        "Out-Null",
        "Out-String",
        "Remove-Item",
        "Select-Object",
        "Set-StrictMode",
        "Sort-Object",
        "Test-Path",
        "Where-Object",
        "Write-Host",
        "Write-Verbose",
        "Write-Warning",
    }
)
# .NET Framework 4.5 types (WMF 4.0 requires 4.5) that .NET 6+ (PowerShell 7) has too, and the
# type accelerators PowerShell 3.0 already had ([ordered] is 3.0).
PS4_TYPES = frozenset(
    {
        "bool",
        "int",
        "long",
        "ordered",
        "scriptblock",
        "string",
        "void",
        "Environment",
        "Math",
        "TimeSpan",
        "Microsoft.Win32.RegistryHive",
        "Microsoft.Win32.RegistryKey",
        "Microsoft.Win32.RegistryView",
        "System.BitConverter",
        "System.Collections.ArrayList",
        "System.Collections.IDictionary",
        "System.Collections.IEnumerable",
        "System.Diagnostics.Process",
        "System.Diagnostics.ProcessStartInfo",
        "System.Globalization.CultureInfo",
        "System.IO.Compression.ZipFile",
        "System.IO.File",
        "System.IO.FileAccess",
        "System.IO.FileMode",
        "System.IO.FileShare",
        "System.IO.FileStream",
        "System.IO.Path",
        "System.IO.SeekOrigin",
        "System.Security.Cryptography.SHA256",
        "System.Security.Principal.WindowsBuiltInRole",
        "System.Security.Principal.WindowsIdentity",
        "System.Security.Principal.WindowsPrincipal",
        "System.Text.Encoding",
        "System.Text.StringBuilder",
        "System.Text.UTF8Encoding",
        "System.TimeZoneInfo",
        "System.Xml.XmlDocument",
        "System.Xml.XmlWriter",
        "System.Xml.XmlWriterSettings",
    }
)
# The roles' own cmdlets (the ADFS module, Exchange's snap-in): present only where the role is;
# the script may call them only inside the script block it gives Save-CmdletOutput, which runs
# after the module or snap-in was found and loaded, and records a failure instead of stopping.
ROLE_CMDLETS = frozenset(
    {
        "Get-AdfsCertificate",
        "Get-AdfsSslCertificate",
        "Get-AdfsProperties",
        "Get-ExchangeCertificate",
    }
)
# Syntax PowerShell 4.0 does not have: classes and enums (5.0), && and || (7.0).
NEWER_SYNTAX = frozenset({"class_statement", "enum_statement", "pipeline_chain_tail"})
WRITTEN_FILE = re.compile(r"[\w.-]+\.(?:txt|evtx|config|json)")


def parse(source: bytes):  # type: ignore[no-untyped-def]
    language = tree_sitter.Language(tree_sitter_powershell.language())
    return tree_sitter.Parser(language).parse(source)


def nodes(node) -> Iterator:  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from nodes(child)


def text(node) -> str:  # type: ignore[no-untyped-def]
    return node.text.decode("utf-8")


@pytest.fixture(scope="module")
def script() -> bytes:
    return render_script(7).encode("ascii")  # ASCII: PowerShell 4/5.1 read BOM-less files as ANSI


@pytest.fixture(scope="module")
def tree(script: bytes):  # type: ignore[no-untyped-def]
    return parse(script)


def broken_nodes(tree) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        f"{n.type} at line {n.start_point[0] + 1}: {text(n)[:60]!r}"
        for n in nodes(tree.root_node)
        if n.type == "ERROR" or n.is_missing
    ]


def test_the_script_parses_without_error_or_missing_nodes(tree) -> None:  # type: ignore[no-untyped-def]
    assert broken_nodes(tree) == []


def test_the_parse_check_catches_broken_powershell() -> None:
    for broken in (b"function Get-X { if ($a) { 'x' }", b"$x = @{ a = 1", b"Write-Host (1 + "):
        assert broken_nodes(parse(broken)), broken


def defined_functions(tree) -> set[str]:  # type: ignore[no-untyped-def]
    return {
        text(n.child_by_field_name("function_name") or n.children[1])
        for n in nodes(tree.root_node)
        if n.type == "function_statement"
    }


def commands_used(tree) -> set[str]:  # type: ignore[no-untyped-def]
    names = set()
    for node in nodes(tree.root_node):
        if node.type == "command":
            name = node.child_by_field_name("command_name")
            if name is not None:
                names.add(text(name))
    return names


def types_used(tree) -> set[str]:  # type: ignore[no-untyped-def]
    """Type literals ``[System.IO.File]`` and the type names given to New-Object."""
    found = {text(n).strip("[]") for n in nodes(tree.root_node) if n.type == "type_literal"}
    for node in nodes(tree.root_node):
        name = node.child_by_field_name("command_name") if node.type == "command" else None
        if name is not None and text(name).lower() == "new-object":
            elements = node.child_by_field_name("command_elements")
            tokens = [c for c in elements.children if c.type == "generic_token"]
            found.add(text(tokens[0]))
    return found


def test_every_cmdlet_is_in_windows_powershell_4(tree) -> None:  # type: ignore[no-untyped-def]
    # `& $Block`: Save-CmdletOutput runs the script block it is given (checked below)
    used = commands_used(tree) - defined_functions(tree) - ROLE_CMDLETS - {"$Block"}
    assert used, "no command found: the extraction is broken"
    assert used <= PS4_CMDLETS, sorted(used - PS4_CMDLETS)
    assert "Compress-Archive" not in used


def guarded_role_calls(tree) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    """(role cmdlets called inside a script block given to Save-CmdletOutput, those called
    anywhere else)."""
    guarded: set[str] = set()
    unguarded: set[str] = set()
    for node in nodes(tree.root_node):
        name = node.child_by_field_name("command_name") if node.type == "command" else None
        if name is None or text(name) not in ROLE_CMDLETS:
            continue
        parent, inside = node.parent, False
        while parent is not None:
            if parent.type == "command":
                outer = parent.child_by_field_name("command_name")
                if outer is not None and text(outer) == "Save-CmdletOutput":
                    inside = True
                    break
            parent = parent.parent
        (guarded if inside else unguarded).add(text(name))
    return guarded, unguarded


def test_role_cmdlets_run_only_behind_their_guard(tree) -> None:  # type: ignore[no-untyped-def]
    guarded, unguarded = guarded_role_calls(tree)
    assert guarded == ROLE_CMDLETS and not unguarded
    bare, elsewhere = guarded_role_calls(parse(b"Get-ExchangeCertificate | Format-List\n"))
    assert not bare and elsewhere == {"Get-ExchangeCertificate"}  # the check can fail


def test_every_dotnet_type_is_on_the_allow_list(tree) -> None:  # type: ignore[no-untyped-def]
    used = types_used(tree)
    assert "System.IO.Compression.ZipFile" in used and "System.Xml.XmlDocument" in used
    assert used <= PS4_TYPES, sorted(used - PS4_TYPES)


def test_no_syntax_newer_than_powershell_4(tree) -> None:  # type: ignore[no-untyped-def]
    kinds = {n.type for n in nodes(tree.root_node)}
    assert not kinds & NEWER_SYNTAX
    members = [n for n in nodes(tree.root_node) if n.type == "member_name"]
    assert all(text(m).lower() != "new" for m in members)  # [Type]::new() is 5.0


def test_the_allow_list_check_catches_newer_cmdlets_and_syntax() -> None:
    newer = parse(
        b"Compress-Archive -Path a -DestinationPath b.zip\n$x = [System.Text.Json.JsonSerializer]::new()\nclass A { }\n"
    )
    assert commands_used(newer) - PS4_CMDLETS == {"Compress-Archive"}
    assert "System.Text.Json.JsonSerializer" in types_used(newer) - PS4_TYPES
    assert {n.type for n in nodes(newer.root_node)} & NEWER_SYNTAX


def test_the_script_writes_exactly_the_files_of_the_table(tree) -> None:  # type: ignore[no-untyped-def]
    literals = {
        text(n).strip("'\"")
        for n in nodes(tree.root_node)
        if n.type in ("verbatim_string_characters", "expandable_string_literal", "string_literal")
    }
    written = {name for name in literals if WRITTEN_FILE.fullmatch(name)}
    assert written == {f.name for f in COLLECTED_FILES if not f.per_instance}
    # One file per SQL Server instance: the name built from the instance's cleaned name.
    per_instance = {
        f.name.replace("<instance>", "$safe") for f in COLLECTED_FILES if f.per_instance
    }
    assert per_instance == {"sql-errorlog-$safe.txt", "sql-errorlog-$safe-1.txt"}
    assert per_instance <= literals
    assert "$safe = $instance -replace '[^A-Za-z0-9_-]', '_'" in text(tree.root_node)


def test_skipped_steps_are_recorded_not_thrown(script: bytes) -> None:
    source = script.decode("ascii")
    for guard in (
        "Add-Skipped $command 'the ADFS PowerShell module is not installed",
        "'the Exchange Management Shell snap-in is not registered",
        "Add-Skipped $command 'no SQL Server Database Engine instance is installed'",
        "Add-Skipped 'SQL Server certificate values and ERRORLOG'",
    ):
        assert guard in source, guard
    assert "skipped   = $true" in source
    # SQL Server's -e (error log path) is told from -E (another option) case-sensitively.
    assert "$argument -clike '-e*'" in source and "-like '-e*'" not in source
    # The registry is opened read-only: OpenSubKey(name) never OpenSubKey(name, $true).
    opened = re.findall(r"OpenSubKey\(([^()]*(?:\([^()]*\))?[^()]*)\)", source)
    assert len(opened) == 2 and all("," not in args for args in opened), opened


def test_what_the_script_says_and_never_does(script: bytes) -> None:
    source = script.decode("ascii")
    head = source[:1500]
    assert "CHANGES NOTHING" in head and "NEVER collects private keys or PFX files" in head
    assert f"certtriage collector {__version__}" in head and SCRIPT_NAME in head
    assert "IsInRole" in source and "elevated" in source
    lowered = source.lower()
    for never in ("-exportpfx", "-privatekey", "export-pfxcertificate", "-delstore",
                  "/grant", "/reset", "reg.exe add", "reg.exe delete", "compress-archive",
                  "export-exchangecertificate", "set-adfs", "enable-exchangecertificate",
                  "winrm set", "winrm create", "winrm delete", "setvalue(", "createsubkey(",
                  "deletevalue(", "openSubKey($name, $true)".lower()):  # fmt: skip
        assert never not in lowered, never
    assert "timediff(@SystemTime) <= ' + $Milliseconds" in source
    assert "@DAYS@" not in source and "@VERSION@" not in source
    assert "\r\n" in source and "\n" not in source.replace("\r\n", "")


def test_days_are_bounded() -> None:
    assert "[int]$Days = 30," in render_script(30)
    for bad in (0, 366):
        with pytest.raises(ValueError):
            render_script(bad)
