"""Import every command module so that it registers itself on the app."""

from analyzer.cli import (
    analyze_cmd,  # noqa: F401
    certutil_cmd,  # noqa: F401
    events_cmd,  # noqa: F401
    triage_cmd,  # noqa: F401
)
