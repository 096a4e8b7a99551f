"""Which side of a TLS connection a Schannel event is about: its `Type` field, else its text.

`Event.role` comes from the `Type` field in any language (`server`, `serveur`, `服务器`,
`client`, `客户端`, ...; see `analyzer.knowledge.eventfields.ROLE_WORDS`). Exports that keep only
the rendered message still say "TLS client credential" / "SSL server credential" (the lsasrv.dll
wording of 36870/36871 in every build), so the English message decides when the field is lost.
"""

from __future__ import annotations

import re

from analyzer.model import Event

POLICY_STATE = 10013  # 36871: Microsoft names it for disabled protocols or cipher suites
_MESSAGE_SIDE = re.compile(r"\b(?:TLS|SSL)\s+(client|server)\s+credential", re.IGNORECASE)


def side_of(event: Event) -> str | None:
    """``server``, ``client``, or None when neither the field nor the text says."""
    if event.role in ("server", "client"):
        return event.role
    match = _MESSAGE_SIDE.search(event.message or "")
    return match.group(1).lower() if match else None


def policy_events(events: list[Event]) -> list[Event]:
    """The 36871 events whose internal state says the protocol/cipher policy left nothing."""
    return [e for e in events if e.data.get("ErrorState") == POLICY_STATE]
