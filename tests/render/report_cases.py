"""A realistic analysed ticket, built directly as records, for the report tests.

Mirrors what the engine produces for the demo case (scenario 3: KeySpec 2 on the certificate
bound in IIS, Schannel 36870 in the System log), plus an expired predecessor, an advisory,
a partial input with warnings and a skipped file.
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.model import (
    Analysis,
    AskFor,
    CorrelationSummary,
    Coverage,
    Diagnosis,
    Event,
    Evidence,
    EvidenceNote,
    InScope,
    Level,
    Message,
    NotChecked,
    OsFact,
    OsInfo,
    ReadResult,
    Source,
    Status,
)
from tests.records import cert as record_cert
from tests.records import event
from tests.records import key as record_key

HOSTILE = "<img src=x onerror=alert(1)>"
THUMB = "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e4b6d8f0a"
OLD_THUMB = "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c"
DUMP = "ticket/my.txt"
LOG = "ticket.zip!/logs/System.evtx"


def schannel_36870(record: int, time: str) -> Event:
    return replace(
        event(36870, record, time, Type="server", ErrorCode="0x8009030D", ErrorStatus=10001),
        computer="WEB01.contoso.local",
        sspi_process="SYSTEM (PID: 4)",
        source=Source(LOG, record=record),
    )


def make_analysis(subject: str = "CN=www.contoso.com", **changes: object) -> Analysis:
    key = record_key(
        container="te-WebServer-1a2b3c",
        key_file=None,
        provider="Microsoft Enhanced Cryptographic Provider v1.0",
        flags=None,
        keyspec=2,
        tests=("Signature test passed",),
        acl_sddl=None,
    )
    cert = record_cert(
        index=1,
        store="My",
        thumbprint=THUMB,
        serial="6100000012ab",
        subject=subject,
        issuer="CN=Contoso Issuing CA 01",
        not_before="14/01/2025 09:12",
        not_after="14/01/2027 09:12",
        valid_from="2025-01-14T09:12:00",
        valid_to="2027-01-14T09:12:00",
        eku=("Server Authentication (1.3.6.1.5.5.7.3.1)",),
        san=("DNS Name=www.contoso.com",),
        key=key,
        source=Source(DUMP, line=12),
    )
    old = replace(
        cert,
        index=0,
        thumbprint=OLD_THUMB,
        not_after="14/01/2024 09:12",
        valid_from="2022-01-14T09:12:00",
        valid_to="2024-01-14T09:12:00",
        key=replace(key, keyspec=1),
        source=Source(DUMP, line=2),
    )
    events = [
        schannel_36870(2211, "2025-03-02T08:14:05.1234567Z"),
        schannel_36870(2213, "2025-03-02T08:15:41.0000000Z"),
        Event(
            provider="Microsoft-Windows-HttpEvent",
            event_id=15021,
            time="2025-03-01T22:01:00Z",
            record_id=2190,
            data={"Endpoint": "0.0.0.0:443"},
            channel="System",
            source=Source(LOG, record=2190),
        ),
        Event(
            provider="EventLog",
            event_id=6009,
            time="2025-03-01T21:58:00Z",
            record_id=2101,
            source=Source(LOG, record=2101),
        ),
    ]
    dump = ReadResult(DUMP, "certutil", status=Status.OK, encoding="utf-16-le")
    dump.certificates = [old, cert]
    log = ReadResult(LOG, "evtx", engine="evtx")
    log.events = events
    log.coverage = Coverage(
        channel="System",
        computer="WEB01.contoso.local",
        first="2025-02-27T06:00:00Z",
        last="2025-03-02T09:30:00Z",
        records=4100,
        os=OsInfo("10.0", 17763, 2101),
    )
    log.warn("chunk 3: bad checksum, 212 records skipped", record=1500, code="evtx.chunk-bad-crc")
    notes = ReadResult("ticket/notes.docx", "unknown")
    notes.skip("not a certutil dump, event log or known evidence file", code="input.unknown-kind")
    diagnosis = Diagnosis(
        id="keyspec-signature",
        kind="fault",
        scenario=3,
        title="The certificate's key has KeySpec 2 (AT_SIGNATURE); Schannel needs 1",
        confidence="high",
        confidence_reason="KeySpec = 2 is printed in the dump and 36870 events follow",
        certificates=(THUMB,),
        events=(Source(LOG, record=2211), Source(LOG, record=2213)),
        evidence=(
            Evidence(
                "KeySpec is 2 (AT_SIGNATURE)", Source(DUMP, line=31), "KeySpec = 2 -- AT_SIGNATURE"
            ),
            Evidence(
                "Schannel 36870 with error 0x8009030D, state 10001",
                Source(LOG, record=2211),
                "ErrorCode=0x8009030D ErrorStatus=10001",
            ),
        ),
        remediation=(
            f'certutil -exportPFX -p "<new PFX password>" my {THUMB} %TEMP%\\{THUMB}.pfx',
            'certutil -p "<PFX password>" -csp "Microsoft RSA SChannel Cryptographic Provider" '
            f"-importPFX my %TEMP%\\{THUMB}.pfx AT_KEYEXCHANGE",
            f"certutil -v -store my {THUMB}   (expect: KeySpec = 1 -- AT_KEYEXCHANGE)",
            "Save this as %TEMP%\\request.inf:\n[NewRequest]\nKeySpec = 1\nProviderType = 12",
            "In IIS Manager, edit the site's https binding and select the certificate again "
            "(or re-run the `netsh http add sslcert ...` that failed).",
        ),
        references=(
            "https://learn.microsoft.com/en-us/windows/win32/api/wincrypt/ns-wincrypt-crypt_key_prov_info",
            "KB 2000 internal note",
        ),
        explains_events=True,
        summary="Schannel cannot use a key made for signing only to exchange the session key.",
    )
    expired = Diagnosis(
        id="cert-expired",
        kind="advisory",
        scenario=None,
        title="An old certificate for the same name has expired",
        confidence="high",
        confidence_reason="NotAfter is before the first event",
        certificates=(OLD_THUMB,),
        evidence=(Evidence("NotAfter 14/01/2024 09:12", Source(DUMP, line=8)),),
    )
    analysis = Analysis(
        inputs=[dump, log, notes],
        certificates=[old, cert],
        events=events,
        diagnoses=[diagnosis, expired],
        not_checked=[NotChecked("Key file permissions", "no icacls listing among the inputs")],
        ask_for=[
            AskFor(
                "The webhosting store",
                "certutil -v -store webhosting > webhosting.txt",
                "the binding may use a certificate from that store",
            )
        ],
        thumbprint=THUMB,
        at="2025-03-02T08:15:00Z",
        context=CorrelationSummary(
            failures=2,
            failures_total=2,
            reference_time="2025-03-02T08:15:00Z",
            reference_from="--at",
            at_assumed_utc=True,
            in_use=(THUMB,),
            in_use_from="--thumbprint",
            in_scope=(InScope(THUMB, ("--thumbprint", "valid at the event time")),),
            notes=("1 36870 event(s) are for a client credential (Type=client)",),
            service="HTTP.sys",
            service_evidence=(
                EvidenceNote(
                    "the SSPI client process is SYSTEM (PID 4): HTTP.sys",
                    f"{LOG}#record 2211",
                    "The SSPI client process is SYSTEM (PID: 4).",
                ),
            ),
            local_offset="+01:00",
            os=OsFact("10.0", 17763, LOG),
        ),
    )
    for field_name, value in changes.items():
        setattr(analysis, field_name, value)
    return analysis


def empty_analysis() -> Analysis:
    dump = ReadResult("ticket/empty.txt", "certutil")
    dump.messages.append(
        Message(
            Level.INFO,
            "no certificate in the dump",
            Source("ticket/empty.txt"),
            "certutil.no-certificate-listed",
        )
    )
    return Analysis(inputs=[dump], certificates=[], events=[], diagnoses=[])
