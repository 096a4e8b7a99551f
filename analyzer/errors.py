"""The project's own error types: everything a reader raises derives from CerttriageError."""


class CerttriageError(Exception):
    """Base of every error certtriage raises on purpose."""


class InputError(CerttriageError):
    """A whole input is unusable (wrong kind, unreadable, over a limit)."""


class ArchiveError(InputError):
    """An archive could not be opened or breaks a safety limit."""


class UsageError(CerttriageError):
    """The user asked for something the tool cannot do (exit code 2)."""
