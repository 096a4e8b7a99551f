"""The small parts of the export readers: local dates, message wording, UserData, labels."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from analyzer.inputs.files import InputFile
from analyzer.model import Status
from analyzer.readers import ReadOptions
from analyzer.readers.exports import xmlexport
from analyzer.readers.exports.localtime import DateOrder, date_order, parse_local, with_offset
from analyzer.readers.exports.tables import fields_from_message

US, EU = DateOrder(day_first=False), DateOrder(day_first=True)


def test_local_dates_of_several_cultures() -> None:
    assert parse_local("10/16/2022 8:27:36 PM", US) == "2022-10-16T20:27:36"
    assert parse_local("10/16/2022 12:05:00 AM", US) == "2022-10-16T00:05:00"
    assert parse_local("16.10.2022 20:27:36", EU) == "2022-10-16T20:27:36"
    assert parse_local("2022/10/16 下午 8:27:36", US) == "2022-10-16T20:27:36"
    assert parse_local("\u200e16/\u200e10/\u200e2022 20:27", EU) == "2022-10-16T20:27:00"
    assert parse_local("2022-10-16 20:27:36.25", US) == "2022-10-16T20:27:36.250000"
    assert parse_local("31/02/2022 10:00:00", EU) is None
    assert parse_local("yesterday", US) is None


def test_day_or_month_first_is_decided_per_file() -> None:
    assert date_order(["03/04/2022 10:00:00", "16/04/2022 10:00:00"]) == EU
    assert date_order(["03/04/2022 10:00:00", "04/16/2022 10:00:00"]) == US
    assert date_order(["03.04.2022 10:00:00"]) == EU
    assert date_order(["3/4/2022 1:00:00 PM"]) == US
    assert date_order(["03/04/2022 10:00:00"]) == DateOrder(day_first=False, ambiguous=True)
    assert date_order(["2022/10/16 20:27:36"]) == US  # year first: nothing to decide


def test_offset_from_local_and_utc() -> None:
    assert with_offset("2022-10-16T22:27:36", "2022-10-16T20:27:36.222854Z") == (
        "2022-10-16T22:27:36+02:00"
    )
    assert with_offset("2022-10-16T15:57:36", "2022-10-16T20:27:36.000000Z") == (
        "2022-10-16T15:57:36-04:30"
    )
    assert with_offset("2022-10-18T20:27:36", "2022-10-16T20:27:36Z") is None


def test_message_wording_of_each_windows_generation() -> None:
    vista = (
        "A fatal error occurred when attempting to access the SSL server credential private key."
        " The error code returned from the cryptographic module is 0x8009030d."
    )
    assert fields_from_message("Schannel", 36870, vista) == {
        "Type": "server",
        "ErrorCode": "0x8009030d",
    }
    win7_36888 = "The following fatal alert was generated: 40. The internal error state is 1205."
    assert fields_from_message("Schannel", 36888, win7_36888) == {
        "AlertDesc": "40",
        "ErrorState": "1205",
    }
    assert fields_from_message("Schannel", 36874, "An TLS 1.2 connection request was received") == {
        "Protocol": "TLS 1.2"
    }
    w3svc = (
        "Cannot register the URL prefix 'https://*:443/' for site '1'. The necessary network"
        " binding may already be in use. The site has been deactivated."
    )
    assert fields_from_message("Microsoft-Windows-IIS-W3SVC", 1007, w3svc) == {
        "UrlPrefix": "https://*:443/",
        "SiteId": "1",
    }
    assert fields_from_message("Schannel", 36870, "Ein schwerwiegender Fehler ...") == {}


@given(st.text(max_size=3000))
def test_message_patterns_never_raise(text: str) -> None:
    for key in ((("Schannel", 36870)), ("Schannel", 36874), ("Microsoft-Windows-HttpEvent", 15300)):
        fields_from_message(*key, text)


CAPI2_70 = """<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-CAPI2" Guid="{5bbca4a8-b209-48dc-a8c7-b23d3e5216fb}" />
    <EventID>70</EventID><Version>0</Version><Level>2</Level><Task>70</Task>
    <TimeCreated SystemTime="2023-03-01T09:00:00.1234567Z" />
    <EventRecordID>512</EventRecordID>
    <Channel>Microsoft-Windows-CAPI2/Operational</Channel><Computer>WEB01</Computer>
  </System>
  <UserData>
    <CertAcquirePrivateKey>
      <Certificate fileRef="AB12.cer" subjectName="www.contoso.com" />
      <KeyProvInfo>
        <ContainerName>te-1f2e</ContainerName>
        <ProvType>1</ProvType>
        <KeySpec>1</KeySpec>
      </KeyProvInfo>
      <Result value="80090016">Keyset does not exist</Result>
    </CertAcquirePrivateKey>
  </UserData>
</Event>
"""


def test_userdata_is_flattened_to_paths(tmp_path: Path) -> None:
    path = tmp_path / "capi2.xml"
    path.write_text(CAPI2_70, encoding="utf-8")
    result = xmlexport.read(InputFile.from_path(path), ReadOptions())
    assert result.status is Status.OK
    (event,) = result.events
    assert (event.provider, event.event_id, event.channel) == (
        "Microsoft-Windows-CAPI2",
        70,
        "Microsoft-Windows-CAPI2/Operational",
    )
    assert event.data == {
        "Operation": "CertAcquirePrivateKey",
        "Certificate.fileRef": "AB12.cer",
        "Certificate.subjectName": "www.contoso.com",
        "KeyProvInfo.ContainerName": "te-1f2e",
        "KeyProvInfo.ProvType": "1",
        "KeyProvInfo.KeySpec": "1",
        "Result.value": "80090016",
        "Result": "Keyset does not exist",
    }
    assert event.time == "2023-03-01T09:00:00.123456Z"


def test_localized_type_in_xml(tmp_path: Path) -> None:
    path = tmp_path / "zh.xml"
    path.write_text(
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Schannel" Guid="{1f678132-5938-4686-9fdc-c8ff68f15c85}" />'
        "<EventID>36871</EventID><Level>2</Level>"
        '<TimeCreated SystemTime="2021-06-01T08:00:00.1234567Z" /><EventRecordID>9</EventRecordID>'
        "<Channel>System</Channel><Computer>PC</Computer></System><EventData>"
        '<Data Name="Type">客户端</Data><Data Name="ErrorState">10013</Data></EventData></Event>',
        encoding="utf-16",
    )
    result = xmlexport.read(InputFile.from_path(path), ReadOptions())
    (event,) = result.events
    assert (event.role, event.data) == ("client", {"Type": "客户端", "ErrorState": 10013})


def test_text_copy_settles_an_ambiguous_date_with_the_utc_time(tmp_path: Path) -> None:
    from analyzer.model import ReadResult
    from analyzer.readers.exports import textcopy
    from fixtures.writers.export_writer import sample_events, to_text_copy

    # 4 March printed day-first with a 12-hour clock (en-GB style): AM/PM suggests month-first.
    event = sample_events()[3]
    moved = type(event)(**{**event.__dict__, "time": event.time.replace(month=3, day=4)})
    text = to_text_copy([moved]).replace("3/4/2022", "04/03/2022")
    result = ReadResult("copy.txt", "evtx-text")
    (record,) = textcopy.records(text, result)
    assert record.local_time == "2022-03-04T22:27:36+02:00"
    assert result.messages == []


def test_skimmed_events_match_the_full_parse() -> None:
    import defusedxml.ElementTree as safe_et

    from analyzer.readers.exports.xmlevents import _skim, record_of
    from fixtures.writers.export_writer import ExportEvent, event_xml, sample_events

    noise = ExportEvent(
        "Service Control Manager",
        7036,
        sample_events()[0].time,
        7,
        ["A &amp; B", "running"],
        "text",
        computer="PC&amp;1",
    )
    for event in [*sample_events(), noise]:
        segment = event_xml(event)
        full = record_of(safe_et.fromstring(segment.encode()), 1)
        skimmed = _skim(segment, 1)
        if event.provider in ("Service Control Manager",):
            assert skimmed is not None
            assert (skimmed.provider, skimmed.event_id, skimmed.time, skimmed.record_id) == (
                full.provider,
                full.event_id,
                full.time,
                full.record_id,
            )
            assert (skimmed.computer, skimmed.channel) == (full.computer, full.channel)
        else:
            assert skimmed is None  # wanted events always get the full parse


def test_format_list_star_keeps_record_machine_log_and_level() -> None:
    from analyzer.model import ReadResult
    from analyzer.readers.exports import pslist

    text = (
        "\r\n\r\nMessage              : A fatal error occurred when attempting to access the TLS"
        " server credential private key. The error\r\n"
        "                       code returned from the cryptographic module is 0x8009030D. The"
        " internal error state is 10001.\r\n"
        "Id                   : 36870\r\nVersion              : 0\r\nQualifiers           : \r\n"
        "Level                : 2\r\nRecordId             : 2213\r\n"
        "ProviderName         : Schannel\r\nLogName              : System\r\n"
        "MachineName          : nt0000000\r\nTimeCreated          : 16.10.2022 22:27:36\r\n"
        "KeywordsDisplayNames : {Klassisch}\r\n"
        "Properties           : {System.Diagnostics.Eventing.Reader.EventProperty,\r\n"
        "                       System.Diagnostics.Eventing.Reader.EventProperty}\r\n\r\n"
    )
    assert pslist.score(text) == 85
    result = ReadResult("fl.txt", "evtx-text")
    (record,) = pslist.records(text, result)
    assert result.messages == []
    assert (record.provider, record.event_id, record.record_id, record.level) == (
        "Schannel",
        36870,
        2213,
        2,
    )
    assert (record.time, record.time_is_local, record.computer, record.channel, record.line) == (
        "2022-10-16T22:27:36",
        True,
        "nt0000000",
        "System",
        3,
    )
    assert fields_from_message("Schannel", 36870, record.message or "") == {
        "Type": "server",
        "ErrorCode": "0x8009030D",
        "ErrorStatus": "10001",
    }


@given(st.text(max_size=60), st.booleans())
def test_local_dates_parse_to_iso_or_none(text: str, day_first: bool) -> None:
    parsed = parse_local(text, DateOrder(day_first=day_first))
    assert parsed is None or datetime.fromisoformat(parsed).tzinfo is None
    date_order([text, text[::-1]])


@given(st.datetimes(min_value=datetime(1990, 1, 1)), st.booleans())
def test_printed_dates_read_back(moment: datetime, twelve_hour: bool) -> None:
    moment = moment.replace(microsecond=0)
    if twelve_hour:
        hour = moment.hour % 12 or 12
        text = f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} " + (
            "AM" if moment.hour < 12 else "PM"
        )
        order = US
    else:
        text = moment.strftime("%d.%m.%Y %H:%M:%S")
        order = EU
    assert parse_local(text, order) == moment.strftime("%Y-%m-%dT%H:%M:%S")


def test_german_and_french_text_copies() -> None:
    from analyzer.model import ReadResult
    from analyzer.readers.exports import textcopy
    from fixtures.writers.export_writer import event_xml, sample_events

    xml = event_xml(sample_events()[3])
    german = (
        "Protokollname: System\r\nQuelle:        Schannel\r\nDatum:         16.10.2022 22:27:36\r\n"
        "Ereignis-ID:   36870\r\nAufgabenkategorie:Keine\r\nEbene:         Fehler\r\n"
        "Schlüsselwörter:\r\nBenutzer:      SYSTEM\r\nComputer:      WEB01.contoso.local\r\n"
        "Beschreibung:\r\nSchwerwiegender Fehler beim Zugriff auf den privaten Schlüssel.\r\n"
        "Ereignis-XML:\r\n" + xml
    )
    french = (
        "Nom du journal :System\r\nSource :        Schannel\r\nDate :          16/10/2022 22:27:36\r\n"
        "ID de l’événement :36870\r\nNiveau :        Erreur\r\nOrdinateur :    WEB01.contoso.local\r\n"
        "Description :\r\nUne erreur irrécupérable s’est produite.\r\nXML de l’événement :\r\n"
        + xml
    )
    for text, message in (
        (german, "Schwerwiegender Fehler beim Zugriff auf den privaten Schlüssel."),
        (french, "Une erreur irrécupérable s’est produite."),
    ):
        assert textcopy.score(text) == 95
        result = ReadResult("copy.txt", "evtx-text")
        (record,) = textcopy.records(text, result)
        assert result.messages == []
        assert (record.message, record.local_time, record.record_id) == (
            message,
            "2022-10-16T22:27:36+02:00",
            2213,
        )
