"""Quote a customer's value for the file or prompt a fix step writes it into: cmd.exe, PowerShell,
or a certreq / certutil INF file.

A fix step is filled in with values from the customer's files (a store name, a serial number, a
key container, a provider, a subject, a SAN). Any of them may hold ``"``, ``&``, ``%``, ``^``,
``$``, a backtick or a line break, by accident or on purpose; pasted unquoted into a prompt they
would run another command or change the one shown. Each function here returns the value as ONE
literal argument or string of its target syntax, or, for a value that syntax cannot carry (a
control character or a line break cannot be typed at a prompt), a ``<...>`` placeholder that
makes the command fail instead of acting on something else.

Sources:
- argument parsing of programs built with the Microsoft C runtime (certutil, certreq, icacls):
  https://learn.microsoft.com/cpp/c-language/parsing-c-command-line-arguments (inside quotes a
  pair of double quotes is one literal double quote; backslashes are literal unless they precede
  a double quote);
- cmd.exe: inside double quotes ``& | < > ^ ( )`` are literal, ``%`` is not (percent expansion
  comes first): https://learn.microsoft.com/windows-server/administration/windows-commands/cmd;
- PowerShell: a single-quoted string is verbatim, a quote inside it is doubled, and the
  typographic single quotes count as quotes too:
  https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_quoting_rules;
- INF files (certreq -new, certutil -repairstore): strings are double-quoted, a double quote
  inside one is doubled and a percent sign is written ``%%``:
  https://learn.microsoft.com/windows-hardware/drivers/install/inf-strings-section, and in
  certreq's extension text ``&`` separates the entries:
  https://learn.microsoft.com/windows-server/administration/windows-commands/certreq_1.
"""

from __future__ import annotations

import re

# Characters no prompt or INF line can carry as typed text.
_UNTYPABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# PowerShell's single-quote characters (ASCII and typographic).
_PS_QUOTES = re.compile("['\u2018\u2019\u201a\u201b]")


def untypable(value: str) -> bool:
    """Whether ``value`` holds a character (a control character, a line break) that cannot be
    written into a command line or an INF line."""
    return _UNTYPABLE.search(value) is not None


def placeholder(what: str) -> str:
    """What stands for a value that cannot be written: the command fails where it is used."""
    return f"<{what}: it holds a control character or line break; type it by hand>"


def cmd_arg(value: str, what: str = "value") -> str:
    """``value`` as one argument on a cmd.exe prompt, for a program that parses its command line
    the Microsoft C runtime way. Always double-quoted: inside quotes cmd takes ``& | < > ^ ( )``
    literally; ``"`` is doubled (cmd sees two quote toggles, the program one literal quote); a
    ``%`` steps out of the quotes as ``"^%"`` so that cmd never sees a ``%name%`` pair to expand;
    backslashes before the closing quote are doubled."""
    if untypable(value):
        return placeholder(what)
    out = ['"']
    backslashes = 0  # the run of backslashes just written: doubled before any quote we write
    for char in value:
        if char == "\\":
            backslashes += 1
            out.append(char)
            continue
        if char in '"%':
            out.append("\\" * backslashes)
            out.append('""' if char == '"' else '"^%"')
        else:
            out.append(char)
        backslashes = 0
    out.append("\\" * backslashes + '"')
    return "".join(out)


_PLAIN_WORD = re.compile(r"[A-Za-z0-9._\-{}:\[\]]+")


def cmd_word(value: str, what: str = "value") -> str:
    """``value`` bare when it is a plain word (letters, digits, ``. _ - { } : [ ]``: a thumbprint,
    a store name, a GUID, an endpoint), else as `cmd_arg` quotes it; so that common commands stay as people
    type them."""
    return value if _PLAIN_WORD.fullmatch(value) else cmd_arg(value, what)


def ps_literal(value: str, what: str = "value") -> str:
    """``value`` as a PowerShell single-quoted (verbatim) string: ``$``, backticks and double
    quotes stay literal; every single-quote character is doubled."""
    if untypable(value):
        return placeholder(what)
    return "'" + _PS_QUOTES.sub(lambda m: m.group() * 2, value) + "'"


def inf_string(value: str, what: str = "value") -> str:
    """``value`` as the text inside a double-quoted INF string (without the outer quotes):
    ``"`` becomes ``""`` and ``%`` becomes ``%%``."""
    if untypable(value):
        return placeholder(what)
    return value.replace('"', '""').replace("%", "%%")


def inf_quoted(value: str, what: str = "value") -> str:
    """``value`` as a whole double-quoted INF string."""
    return f'"{inf_string(value, what)}"'


def inf_entry(value: str) -> str | None:
    """One entry of the ``{text}`` syntax of certreq extensions and certutil property INFs
    (``dns=host``, ``Container = name``), escaped for the INF string it is in; None when it holds
    ``&`` (the entry separator, which has no escape) or a character no INF line can carry."""
    if "&" in value or untypable(value):
        return None
    return inf_string(value)


def inf_entry_text(value: str, what: str = "value") -> str:
    """`inf_entry`, or a ``<...>`` placeholder (which certutil refuses) when it cannot be one."""
    entry = inf_entry(value)
    return entry if entry is not None else f"<{what} holds '&' or a control character>"
