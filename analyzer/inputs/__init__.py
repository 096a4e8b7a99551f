"""Inputs: finding files (and archive members) and turning their bytes into text."""

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "input.not-found": "a path named on the command line does not exist",
    "input.unreadable": "a file or folder cannot be read (permissions, I/O error)",
    "input.empty": "the file is empty (0 bytes): nothing to read",
    "input.empty-folder": "a folder named on the command line holds no file",
    "input.not-a-file": "a device, fifo or socket: skipped",
    "input.folder-too-deep": "folders nested deeper than the limit: the deeper ones are not read",
    "input.link-not-followed": "a symbolic link or junction inside a folder: not followed",
    "input.collection-stopped": (
        "a limit on the number or size of files was reached: the rest is not read"
    ),
    "input.duplicate-name": "two archive members with one name: only the first is read",
    "input.too-large": "the input is larger than its reader's size limit: not read",
    "input.cut-at-limit": "only the first part of a large input was read (its reader's size limit)",
    "input.bad-bytes": "some bytes are not valid in the encoding found; they were replaced",
}
