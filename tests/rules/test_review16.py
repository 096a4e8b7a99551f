"""Review of the SQL Server code (issue 16) against Microsoft's documentation: each test fails on
the code before the correction it covers (docs/review-microsoft.md, "Issue 16")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzer.model import Certificate, ReadResult
from analyzer.rulekit import references as pages
from tests.records import cert, dump
from tests.rules.rule_records import analyse
from tests.rules.test_sqlserver import errorlog, line, registry


def expired_sql_certificate() -> tuple[Certificate, ReadResult]:
    expired = cert(
        "sql01",
        not_before="1/14/2023 9:12 AM",
        not_after="1/14/2025 9:22 AM",
        valid_from="2023-01-14T09:12:00",
        valid_to="2025-01-14T09:22:00",
    )
    assert expired.thumbprint is not None
    return expired, registry("MSSQL15.MSSQLSERVER", expired.thumbprint.upper())


def test_an_expired_certificate_at_a_26014_is_a_medium_fault_citing_the_26014_page() -> None:
    # "Certificate requirements for SQL Server": the dates are checked when the certificate is
    # configured; "MSSQLSERVER_26014": expiry is one possible cause among three.
    expired, config = expired_sql_certificate()
    failed = analyse(dump(expired), config, errorlog(line(26014, expired.thumbprint)))
    [found] = [d for d in failed.diagnoses if d.id == "certificate-expired"]
    assert (found.kind, found.confidence) == ("fault", "medium")
    assert pages.SQL_26014.url in found.references


def test_a_33565_is_not_explained_by_the_certificate_dates() -> None:
    # "Event ID 33565 and SQL Server doesn't start": the service account has no access.
    expired, config = expired_sql_certificate()
    analysis = analyse(dump(expired), config, errorlog(line(33565, expired.thumbprint)))
    assert not [
        d for d in analysis.diagnoses if d.id == "certificate-expired" and d.kind == "fault"
    ]


def test_an_expired_certificate_named_by_thumbprint_for_sql_server_is_no_high_fault() -> None:
    # --thumbprint and --at on a SQL Server ticket without a load failure at that time: the
    # requirements page says SQL Server checks the dates when the certificate is configured and
    # runs on after it expires, so "SQL Server refuses it" is no certain verdict.
    expired, config = expired_sql_certificate()
    analysis = analyse(
        dump(expired),
        config,
        errorlog(),
        thumbprint=expired.thumbprint,
        at="2025-06-03T16:07:04Z",
    )
    found = [d for d in analysis.diagnoses if d.id == "certificate-expired"]
    assert found and all(d.confidence != "high" for d in found if d.kind == "fault")


GONE = "ab" * 20  # a thumbprint no machine-store dump holds


def not_found(*log: object) -> list[tuple[str, str]]:
    analysis = analyse(
        dump(cert("other")),
        registry("MSSQL15.MSSQLSERVER", GONE.upper()),
        errorlog(*log),  # type: ignore[arg-type]
    )
    return [(d.kind, d.confidence) for d in analysis.diagnoses if d.id == "service-cert-not-found"]


def test_a_certificate_sql_server_logged_as_loaded_is_not_reported_missing() -> None:
    # "Certificate requirements for SQL Server": the certificate may be in the service account's
    # own store, which no dump covers; 26013 says SQL Server found and loaded it.
    assert not_found(line(26013, GONE)) == []
    # a later failure about the same hash is reported again
    later = replace(line(26014, GONE, at=40), time="2025-06-04 09:00:00.00")
    assert not_found(later, line(26013, GONE)) == [("fault", "high")]
    assert not_found(line(26014, GONE)) == [("fault", "high")]


def test_a_missing_certificate_without_a_logged_failure_is_of_medium_confidence() -> None:
    assert not_found() == [("fault", "medium")]


def test_spanish_italian_and_chinese_26015_texts_are_not_taken_for_26014(tmp_path: Path) -> None:
    # "Errores / Errori / 错误 26000 - 26999": 26015 starts with the words of 26014, then "." and
    # no hash. Rows copied without their time column are known by these texts alone.
    from analyzer.model import SqlCertificateEvent
    from analyzer.readers.evidence.sql_errorlog import SPEC
    from tests.readers.evidence_helpers import read

    texts = (
        "No se puede cargar el certificado especificado por el usuario. El servidor no podrá "
        "aceptar ninguna conexión porque requiere cifrado de conexión.",
        "Impossibile caricare il certificato specificato dall'utente. Dal momento che è "
        "richiesta la crittografia per le connessioni, il server non potrà accettare connessioni.",
        "无法加载用户指定的证书。由于要求连接加密,服务器将无法接受任何连接。",
        'No se puede cargar el certificado especificado por el usuario [Cert Hash (sha1) "'
        + GONE.upper()
        + '"]. El servidor no acepta una conexión.',
    )
    numbers = []
    for index, text in enumerate(texts):
        path = tmp_path / f"copied{index}.txt"
        path.write_text(f"Source\t\tServer\n\nMessage\n{text}\n", encoding="utf-8")
        numbers += [e.number for e in read(SPEC, path).records(SqlCertificateEvent)]
    assert numbers == [26015, 26015, 26015, 26014]


def test_a_ksp_signature_key_of_sql_server_is_not_fixed_into_a_cng_key() -> None:
    # "Certificate requirements for SQL Server": AT_KEYEXCHANGE in a legacy CSP. Rewriting the
    # KeySpec of a KSP key to 0 leaves a CNG key, which that page does not accept.
    from tests.records import key
    from tests.rules.test_sqlserver import KSP

    sql = cert("sql01", key=key(provider=KSP, provider_type=0, provider_class="ksp", keyspec=2))
    assert sql.thumbprint is not None
    config = registry("MSSQL15.MSSQLSERVER", sql.thumbprint)
    analysis = analyse(dump(sql), config, errorlog(line(26014, sql.thumbprint)))
    [found] = [d for d in analysis.diagnoses if d.id == "keyspec-signature"]
    steps = [s.text for plan in found.remediation_plans for s in plan.steps]
    assert any("AT_KEYEXCHANGE" in s or "new certificate" in s.lower() for s in steps)
    assert not any(
        "KeySpec of the certificate's link to 0" in p.title for p in found.remediation_plans
    )
    assert "0 for a CNG key" not in found.summary
