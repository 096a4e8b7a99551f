"""Merge what several inputs say about the same certificate (by thumbprint) into one record.

A certutil dump is the richest source (KeySpec, container, key state); a PowerShell listing adds
nothing about the key but may show a friendly name or SANs a short dump lacks; a certificate
file shows what the certificate itself says, and is in no store. So: a dump's record wins and
only its empty fields are filled from the others; a listing's certificate without a dump is kept
as a machine-store certificate whose key is not known; a file's certificate without a store
record is kept apart (`file_only`): it is evidence about a file, not about the machine, and rules
must not take it for a certificate in the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.model import Certificate

LISTING_KINDS = frozenset({"ps-certlist"})
FILE_KINDS = frozenset({"cert-file"})
# Fields a richer record may lack and a poorer one can supply.
FILLABLE = (
    "subject",
    "issuer",
    "serial",
    "not_before",
    "not_after",
    "valid_from",
    "valid_to",
    "key_usage",
    "eku",
    "san",
    "friendly_name",
)


@dataclass
class Merged:
    certificates: list[Certificate]  # store certificates: dumps, then listing-only ones
    file_only: list[Certificate]  # certificate files matching no store certificate
    merged: dict[str, list[str]]  # thumbprint -> paths of the inputs merged into its record


def _fill(base: Certificate, extra: Certificate) -> Certificate:
    changes = {
        name: getattr(extra, name)
        for name in FILLABLE
        if getattr(base, name) in (None, ()) and getattr(extra, name) not in (None, ())
    }
    if base.key is None and extra.key is not None and base.index is None:
        changes["key"] = extra.key  # a listing-only record: HasPrivateKey is all we know
    return dataclasses.replace(base, **changes) if changes else base


def merge_certificates(by_kind: Iterable[tuple[str, list[Certificate]]]) -> Merged:
    """``by_kind``: (input kind, its certificates) in input order."""
    groups: dict[str, list[tuple[str, Certificate]]] = {"dump": [], "listing": [], "file": []}
    for kind, certs in by_kind:
        group = "listing" if kind in LISTING_KINDS else "file" if kind in FILE_KINDS else "dump"
        groups[group].extend((kind, c) for c in certs)
    out: list[Certificate] = [c for _, c in groups["dump"]]
    merged: dict[str, list[str]] = {}
    position = {c.thumbprint: i for i, c in reversed(list(enumerate(out))) if c.thumbprint}
    file_only: list[Certificate] = []
    for group in ("listing", "file"):
        for _, cert in groups[group]:
            index = position.get(cert.thumbprint) if cert.thumbprint else None
            if index is None:
                if group == "file":
                    file_only.append(cert)
                    continue
                position[cert.thumbprint or ""] = len(out)
                out.append(cert)
                continue
            out[index] = _fill(out[index], cert)
            merged.setdefault(out[index].thumbprint or "", []).append(cert.source.path)
    return Merged(out, file_only, {k: sorted(set(v)) for k, v in sorted(merged.items())})
