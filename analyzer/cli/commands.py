"""Import every command module so that it registers itself on the app."""

from analyzer.cli import analyze_cmd  # noqa: F401
from analyzer.cli import triage_cmd  # noqa: F401
from analyzer.cli import events_cmd  # noqa: F401
