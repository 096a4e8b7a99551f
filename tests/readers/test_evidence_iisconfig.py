"""applicationHost.config reader: synthetic IIS 10 files and the real samples."""

from __future__ import annotations

from analyzer.model import Binding, Status
from analyzer.readers.evidence.iisconfig import SPEC, endpoint_of
from tests.conftest import shared_samples
from tests.readers.evidence_helpers import EVIDENCE, WEB_THUMBPRINT, read, sniff, warnings

IIS = EVIDENCE / "iis"


def test_bindings_with_certificate_hash_and_sni() -> None:
    path = IIS / "applicationHost-with-hash.config"
    result = read(SPEC, path)
    assert result.status is Status.OK and warnings(result) == []
    assert len(result.bindings) == 2
    assert result.bindings[0] == Binding(
        endpoint="0.0.0.0:443",
        certificate_hash=WEB_THUMBPRINT,
        store="My",
        site="Default Web Site",
        ssl_flags=0,
        origin="applicationHost.config",
    )
    assert result.bindings[0].source.line == 11
    assert result.bindings[1].endpoint == "shop.contoso.com:443"
    assert result.bindings[1].store == "Contoso Shop"
    assert sniff(SPEC, path) >= 90


def test_truncated_paste_is_read_line_by_line() -> None:
    result = read(SPEC, IIS / "applicationHost-truncated.txt")
    assert warnings(result) == [
        "13: not well-formed XML (no element found: line 13, column 16); bindings read line by line"
    ]
    assert [b.endpoint for b in result.bindings] == ["0.0.0.0:443", "shop.contoso.com:443"]
    assert result.bindings[0].site == "Default Web Site"


def test_entity_expansion_is_refused() -> None:
    result = read(SPEC, IIS / "applicationHost-xxe.config")
    assert result.status is Status.ERROR and result.bindings == []
    assert "entities or a DTD" in result.messages[0].text


def test_real_samples_have_https_bindings_without_certificate() -> None:
    folder = shared_samples("evidence") / "applicationhost"
    expected = {
        "dorik84-web-server-iis-applicationHost-hostname-site-https-443-sslflags0.config": (
            "0.0.0.0:443",
            "mysite.tbd",
        ),  # a host name without SNI (sslFlags 0) is IP-based
        "mattgillard-iis-reverse-proxy-applicationHost-default-site-https-443-sslflags0.config": (
            "0.0.0.0:443",
            "Default Web Site",
        ),
    }
    for name, (endpoint, site) in expected.items():
        path = folder / name
        assert sniff(SPEC, path) >= 90
        result = read(SPEC, path)
        assert result.status is Status.OK and warnings(result) == [], name
        assert [(b.endpoint, b.site, b.certificate_hash, b.ssl_flags) for b in result.bindings] == [
            (endpoint, site, None, 0)
        ]
        assert any("only in HTTP.sys" in m.text for m in result.messages)


def test_endpoint_forms() -> None:
    assert endpoint_of("*:443:", 0) == "0.0.0.0:443"
    assert endpoint_of("10.0.0.5:8443:", None) == "10.0.0.5:8443"
    assert endpoint_of("*:443:www.contoso.com", 1) == "www.contoso.com:443"
    assert endpoint_of("*:443:www.contoso.com", 3) == "ccs:443"
    assert endpoint_of("[::1]:443:", 0) == "[::1]:443"


def test_ssl_flags_by_name_and_bad_values(tmp_path) -> None:
    path = tmp_path / "applicationHost.config"
    path.write_text(
        '<configuration><system.applicationHost><sites><site name="s"><bindings>\n'
        '<binding protocol="https" bindingInformation="*:443:a.contoso.com" sslFlags="Sni, CentralCertStore" />\n'
        '<binding protocol="https" bindingInformation="*:443:b.contoso.com" sslFlags="Sni" certificateHash="XYZ" />\n'
        '<binding protocol="https" bindingInformation="*:8443:" sslFlags="Fast" />\n'
        "</bindings></site></sites></system.applicationHost></configuration>\n",
        encoding="utf-8",
    )
    result = read(SPEC, path)
    assert [(b.endpoint, b.ssl_flags, b.hash_valid) for b in result.bindings] == [
        ("ccs:443", 3, True),
        ("b.contoso.com:443", 1, False),
        ("0.0.0.0:8443", None, True),
    ]
    assert [w.split(":")[0] for w in warnings(result)] == ["3", "4"]
