"""The event catalogue and the one place events are normalised."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.knowledge.eventfields import (
    build_event,
    canonical_provider,
    is_wanted,
    name_data,
    normalise_hex,
    sspi_process_of,
    utc_iso,
)
from analyzer.model import OsInfo, Source
from analyzer.readers.bootinfo import last_boot_os, os_info_of, version_from_6009

SRC = Source("System.evtx", record=1)


def test_wanted_needs_provider_and_id() -> None:
    assert is_wanted("Schannel", 36870)
    assert is_wanted("schannel", 36912)
    assert is_wanted("HTTP", 15021)
    assert is_wanted("Microsoft-Windows-Kernel-General", 12)
    assert is_wanted("TermService", 1058)
    assert not is_wanted("Service Control Manager", 36870)
    assert not is_wanted("Schannel", 15021)
    assert not is_wanted("EventLog", 6013)


def test_provider_aliases() -> None:
    assert canonical_provider("W3SVC") == "Microsoft-Windows-IIS-W3SVC"
    assert canonical_provider(" Microsoft-Windows-HttpEvent ") == "Microsoft-Windows-HttpEvent"
    assert canonical_provider("Some-Other") == "Some-Other"


def test_positional_names_and_param_fallback() -> None:
    assert name_data("Schannel", 36888, ["40", "1205"]) == {"AlertDesc": 40, "ErrorState": 1205}
    assert name_data("Schannel", 36870, ["server", "-2146893043", "10001", "x"]) == {
        "Type": "server",
        "ErrorCode": "0x8009030d",
        "ErrorStatus": 10001,
        "param4": "x",
    }
    assert name_data("Unknown", 1, ["a", "7"]) == {"param1": "a", "param2": 7}


def test_numbers_become_ints_but_not_versions_or_padded_text() -> None:
    data = name_data("EventLog", 6009, ["6.03.", "9600", "", "Multiprocessor Free", "17514"])
    assert data == {
        "Version": "6.03.",
        "Build": 9600,
        "ServicePack": "",
        "KernelType": "Multiprocessor Free",
        "Revision": 17514,
    }
    assert name_data("X", 1, {"Zip": "01234", "Sid": "S-1-5-18"}) == {
        "Zip": "01234",
        "Sid": "S-1-5-18",
    }


def test_timestamps_in_data_become_utc() -> None:
    data = name_data("Kernel-General", 12, {"StartTime": "2022-10-16T17:27:30.500000000Z"})
    assert data == {"StartTime": "2022-10-16T17:27:30.500000Z"}
    assert name_data("X", 1, {"When": "2022-10-16 17:27:30"}) == {"When": "2022-10-16 17:27:30"}


def test_role_from_localized_type() -> None:
    for word, role in (("server", "server"), ("Serveur", "server"), ("客户端", "client")):
        event = build_event(
            provider="Schannel",
            event_id=36871,
            time=None,
            record_id=1,
            source=SRC,
            data=[word, "10013"],
        )
        assert event.role == role
        assert event.data == {"Type": word, "ErrorState": 10013}
    assert (
        build_event(
            provider="Schannel", event_id=36871, time=None, record_id=1, source=SRC, data=["?", "1"]
        ).role
        is None
    )


def test_error_code_spellings() -> None:
    for spelling in ("0x8009030D", "0x8009030d", "2148074253", "-2146893043", " 0x8009030d "):
        assert normalise_hex(spelling) == "0x8009030d"
    assert normalise_hex(0x520) == "0x00000520"
    assert normalise_hex("n/a") == "n/a"


def test_time_spellings() -> None:
    assert utc_iso("2022-10-16T20:27:36.222854900Z") == "2022-10-16T20:27:36.222854Z"
    assert utc_iso("2024-05-01 10:00:00+00:00") == "2024-05-01T10:00:00.000000Z"
    assert utc_iso("2024-05-01T12:00:00.5+02:00") == "2024-05-01T10:00:00.500000Z"
    assert utc_iso("2024-05-01T10:00:00") is None  # no zone: not UTC
    assert utc_iso("yesterday") is None


def test_sspi_line() -> None:
    text = (
        "A fatal error occurred when attempting to access the TLS server credential private key."
        " The error code returned from the cryptographic module is 0x8009030D. The internal"
        " error state is 10001.\r\nThe SSPI client process is SYSTEM (PID: 4)."
    )
    assert sspi_process_of(text) == "SYSTEM (PID: 4)"
    assert sspi_process_of("no such line") is None
    event = build_event(
        provider="Schannel",
        event_id=36870,
        time="2022-10-16T20:27:36Z",
        record_id=2,
        source=SRC,
        data={"Type": "server"},
        message=text,
    )
    assert event.sspi_process == "SYSTEM (PID: 4)"
    assert event.time == "2022-10-16T20:27:36.000000Z"


def test_local_time_kept_as_given() -> None:
    event = build_event(
        provider="Schannel",
        event_id=36870,
        time="2022-10-16T20:27:36",
        record_id=None,
        source=SRC,
        time_is_local=True,
    )
    assert event.time == "2022-10-16T20:27:36" and event.time_is_local


def test_os_from_6009_and_kernel_general() -> None:
    assert version_from_6009("6.03.") == "6.3"
    assert version_from_6009("10.00.") == "10.0"
    assert version_from_6009("6.01") == "6.1"
    assert version_from_6009("Windows") is None
    e6009 = build_event(
        provider="EventLog",
        event_id=6009,
        time="2020-09-17T01:00:00Z",
        record_id=10,
        source=SRC,
        data=["6.03.", "9600", "", "Multiprocessor Free", "0"],
    )
    k12 = build_event(
        provider="Microsoft-Windows-Kernel-General",
        event_id=12,
        time="2020-09-18T01:00:00Z",
        record_id=20,
        source=SRC,
        data={"MajorVersion": "10", "MinorVersion": "0", "BuildVersion": "17763"},
    )
    assert os_info_of(e6009) == OsInfo("6.3", 9600, 10)
    assert os_info_of(k12) == OsInfo("10.0", 17763, 20)
    assert last_boot_os([k12, e6009]) == OsInfo("10.0", 17763, 20)
    assert last_boot_os([]) is None


@given(st.one_of(st.text(max_size=30), st.integers(), st.none()))
def test_normalisers_never_raise(value: object) -> None:
    normalise_hex(value)
    utc_iso(value)
    name_data("Schannel", 36870, [value, value, value])


def test_event_normalisation_positional_and_localized_type() -> None:
    event = build_event(
        provider="Schannel",
        event_id=36870,
        time="2022-10-16T20:27:36.222854Z",
        record_id=7,
        source=Source("System.evtx", record=7),
        data=["serveur", "0x8009030D", "10001"],
    )
    assert event.data == {"Type": "serveur", "ErrorCode": "0x8009030d", "ErrorStatus": 10001}
    assert event.role == "server"
    assert normalise_hex(-2146893043) == "0x8009030d"
