"""The layers of docs/architecture.md, the import-linter contract of pyproject.toml and the code
name the same modules and packages: a package added and not drawn, or drawn and gone, fails."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: import-linter installs tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "analyzer"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# A drawn row: names joined by " | " or " : ", then (after two spaces or more) what they are.
ROW = re.compile(r"^(\w+(?: [|:] \w+)*)(?:\s{2,}\S.*)?$")


def drawn_layers(text: str) -> list[str]:
    block = text.split("<!-- layers:begin -->", 1)[1].split("<!-- layers:end -->", 1)[0]
    rows = []
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith("```") or line == "▼":
            continue
        match = ROW.match(line)
        assert match, f"not a layer row: {line!r}"
        rows.append(match.group(1))
    return rows


def contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    assert layers["containers"] == ["analyzer"] and layers["exhaustive"] is True
    return [" ".join(row.split()) for row in layers["layers"]]


def names(rows: list[str]) -> list[str]:
    return sorted(name for row in rows for name in re.split(r" [|:] ", row))


def code_children() -> list[str]:
    """The modules and packages directly under analyzer/ (a folder of .py files is a package
    even without __init__.py, which import-linter would not see: it must have one)."""
    children = []
    for path in PACKAGE.iterdir():
        if path.suffix == ".py" and path.stem != "__init__":
            children.append(path.stem)
        elif path.is_dir() and any(path.glob("*.py")):
            assert (path / "__init__.py").is_file(), f"{path.name}/ has no __init__.py"
            children.append(path.name)
    return sorted(children)


def test_the_drawing_is_the_contract() -> None:
    assert drawn_layers(ARCHITECTURE.read_text(encoding="utf-8")) == contract_layers()


def test_every_module_is_drawn_and_every_drawn_module_exists() -> None:
    drawn = names(drawn_layers(ARCHITECTURE.read_text(encoding="utf-8")))
    assert len(drawn) == len(set(drawn)), "a module is drawn twice"
    assert drawn == code_children()


def test_a_module_missing_from_the_drawing_is_found(tmp_path: Path) -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8").replace(
        "case : certmerge  ", "case             "
    )
    assert "certmerge" not in names(drawn_layers(text))
    assert names(drawn_layers(text)) != code_children()


def test_mypy_is_strict_over_the_package() -> None:
    """`make test` runs mypy with this configuration: strict, over all of analyzer/."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True and config["files"] == ["analyzer"]
    assert "mypy" in (ROOT / "Makefile").read_text(encoding="utf-8").split("\ntest:", 1)[1]


def test_lint_imports_keeps_every_contract() -> None:
    """The contract itself, also run by `make test` (here for a bare `pytest` run)."""
    script = Path(sys.executable).with_name("lint-imports")
    if not script.exists():
        script = script.with_suffix(".exe")
    result = subprocess.run(
        [str(script), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout
