"""Well-known Windows accounts, by SID and by the names icacls prints in each Windows language.

icacls prints the account name in the language of the machine (``VORDEFINIERT\\Administratoren``,
``AUTORITE NT\\Système``, ``Jeder``), and a bare SID where it cannot resolve one. Rules compare
SIDs, so every name is mapped here. The table is data: a new language adds names, not code.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SYSTEM = "S-1-5-18"
ADMINISTRATORS = "S-1-5-32-544"
EVERYONE = "S-1-1-0"
USERS = "S-1-5-32-545"
AUTHENTICATED_USERS = "S-1-5-11"
CREATOR_OWNER = "S-1-3-0"
LOCAL_SERVICE = "S-1-5-19"
NETWORK_SERVICE = "S-1-5-20"
IIS_IUSRS = "S-1-5-32-568"
TRUSTED_INSTALLER = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

# SID -> (English display name, names as localized Windows versions print them).
WELL_KNOWN: dict[str, tuple[str, tuple[str, ...]]] = {
    SYSTEM: (
        "NT AUTHORITY\\SYSTEM",
        (
            "NT AUTHORITY\\SYSTEM",
            "NT-AUTORITÄT\\SYSTEM",
            "AUTORITE NT\\Système",
            "NT AUTHORITY\\СИСТЕМА",
            "ZARZĄDZANIE NT\\SYSTEM",
            "NT-INSTANS\\SYSTEM",
            "NT INSTANS\\SYSTEM",
            "AUTORIDAD NT\\SYSTEM",
            "AUTORIDADE NT\\SYSTEM",
            "NT-MYNDIGHED\\SYSTEM",
            "NT-ONTWIKKELINGSRECHT\\SYSTEM",
            "SYSTEM",
            "LocalSystem",
        ),
    ),
    ADMINISTRATORS: (
        "BUILTIN\\Administrators",
        (
            "BUILTIN\\Administrators",
            "VORDEFINIERT\\Administratoren",
            "BUILTIN\\Administrateurs",
            "BUILTIN\\Administradores",
            "BUILTIN\\Administratori",
            "BUILTIN\\Administratorzy",
            "BUILTIN\\Administratörer",
            "BUILTIN\\Administratorer",
            "BUILTIN\\Администраторы",
            "Administrators",
            "Administratoren",
            "Administrateurs",
        ),
    ),
    EVERYONE: (
        "Everyone",
        (
            "Everyone",
            "Jeder",
            "Tout le monde",
            "Todos",
            "Tutti",
            "Iedereen",
            "Wszyscy",
            "Все",
            "Alle",
            "Kaikki",
            "Mindenki",
            "Herkes",
            "Everyone",
        ),
    ),
    USERS: (
        "BUILTIN\\Users",
        (
            "BUILTIN\\Users",
            "VORDEFINIERT\\Benutzer",
            "BUILTIN\\Utilisateurs",
            "BUILTIN\\Usuarios",
            "BUILTIN\\Utenti",
            "BUILTIN\\Użytkownicy",
            "BUILTIN\\Пользователи",
        ),
    ),
    AUTHENTICATED_USERS: (
        "NT AUTHORITY\\Authenticated Users",
        (
            "NT AUTHORITY\\Authenticated Users",
            "NT-AUTORITÄT\\Authentifizierte Benutzer",
            "AUTORITE NT\\Utilisateurs authentifiés",
            "NT AUTHORITY\\Usuarios autentificados",
        ),
    ),
    CREATOR_OWNER: (
        "CREATOR OWNER",
        ("CREATOR OWNER", "ERSTELLER-BESITZER", "CREATEUR PROPRIETAIRE", "CREATOR PROPIETARIO"),
    ),
    LOCAL_SERVICE: (
        "NT AUTHORITY\\LOCAL SERVICE",
        (
            "NT AUTHORITY\\LOCAL SERVICE",
            "NT-AUTORITÄT\\LOKALER DIENST",
            "AUTORITE NT\\SERVICE LOCAL",
        ),
    ),
    NETWORK_SERVICE: (
        "NT AUTHORITY\\NETWORK SERVICE",
        (
            "NT AUTHORITY\\NETWORK SERVICE",
            "NT-AUTORITÄT\\NETZWERKDIENST",
            "AUTORITE NT\\SERVICE RÉSEAU",
        ),
    ),
    IIS_IUSRS: (
        "BUILTIN\\IIS_IUSRS",
        ("BUILTIN\\IIS_IUSRS", "VORDEFINIERT\\IIS_IUSRS", "IIS_IUSRS"),
    ),
    TRUSTED_INSTALLER: ("NT SERVICE\\TrustedInstaller", ("NT SERVICE\\TrustedInstaller",)),
}

SID_PATTERN = re.compile(r"^\*?(S-1-\d+(?:-\d+)+)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def fold(name: str) -> str:
    """Compare names case- and accent-insensitively (``Système`` = ``SYSTEME``), and ignore
    the U+FFFD a wrong code page leaves in place of an accented letter."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("\ufffd", "").casefold()


_BY_NAME: dict[str, str] = {
    fold(name): sid for sid, (_, names) in WELL_KNOWN.items() for name in names
}


@lru_cache(maxsize=4096)
def sid_of(account: str) -> str | None:
    """The SID of an account as icacls prints it (a name in any language, or a SID)."""
    match = SID_PATTERN.match(account.strip())
    if match:
        return match.group(1).upper()
    return _BY_NAME.get(fold(account))


def display_name(sid: str) -> str:
    """The English name for a well-known SID, else the SID itself."""
    entry = WELL_KNOWN.get(sid)
    return entry[0] if entry else sid


def known_account_suffix(text: str) -> str | None:
    """The longest well-known account name that ends ``text`` after at least one other word, so
    that a line ``<path> Tout le monde:(R)`` can be split even when the path contains spaces."""
    words = text.split()
    best: str | None = None
    for count in range(1, min(len(words), 5)):
        candidate = " ".join(words[-count:])
        if fold(candidate) in _BY_NAME:
            best = candidate
    return best
