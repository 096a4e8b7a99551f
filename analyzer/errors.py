"""The project's own error types: everything a reader raises derives from CerttriageError."""


class CerttriageError(Exception):
    """Base of every error certtriage raises on purpose."""

    # The message code when the input service turns this error into an input's error.
    code = "input.refused"


class InputError(CerttriageError):
    """A whole input is unusable (wrong kind, unreadable, over a limit); ``code`` is the stable
    code of the message the input gets (docs/diagnostics.md)."""

    def __init__(self, text: str, *, code: str) -> None:
        super().__init__(text)
        self.code = code


class ArchiveError(InputError):
    """An archive could not be opened or breaks a safety limit."""


class UsageError(CerttriageError):
    """The user asked for something the tool cannot do (exit code 2)."""
