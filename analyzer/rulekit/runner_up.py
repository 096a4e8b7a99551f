"""When scenario 2 (MachineKeys permissions) may be shown as the runner-up of scenario 1.

A runner-up is an alternative the evidence neither confirms nor contradicts. An icacls or
Get-Acl listing of the key file itself in which SYSTEM's access check comes out allowed (no deny
that applies to SYSTEM's token, a grant that covers read) contradicts it: what would tell the
two scenarios apart (`key_access.TELL_APART`) has been sent and says "not permissions", so the
report does not show scenario 2 at all. The account check follows LocalSystem's token as
Microsoft describes it (`analyzer.knowledge.tokens`).
"""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge.access import ALLOWED, can_read_entries
from analyzer.knowledge.acl_defaults import key_file_name
from analyzer.knowledge.tokens import LOCAL_SYSTEM_TOKEN
from analyzer.model import Key


def contradicted(case: Case, key: Key) -> bool:
    """An ACL listing of this key file shows that SYSTEM can open it for read."""
    wanted = (key.key_file or "").lower()
    if not wanted:
        return False
    entries = [e for e in case.acls if (key_file_name(e.path) or "").lower() == wanted]
    if not entries:
        return False
    return can_read_entries(entries, LOCAL_SYSTEM_TOKEN).result == ALLOWED
