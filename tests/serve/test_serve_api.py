"""`certtriage serve` for real: a server in a subprocess on a free loopback port, and an HTTP
client (httpx) or raw sockets where a client library would tidy the request up.

Covers the API (analyse, fetch again, health, the OpenAPI document checked into docs), the
report being the very page `analyze` writes, the triage folder (read-only, no way out of it),
hostile uploads (zip bomb, unsafe names, empty files, too large, too slow, too many), report
expiry, the token on a non-loopback bind, crashing and hanging analyses, and a bounded load test.
After every hostile request the server must still answer a real analysis.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from analyzer.pipeline import AnalysisOptions, run_analysis
from analyzer.render.html import render_report
from analyzer.render.json import analysis_document
from analyzer.serve.pages import REPORT_CSP, triage_csp
from fixtures.writers.hostile_archives import zip_bytes
from tests.serve.conftest import (
    DEMO,
    HOSTILE_TICKET,
    MAX_FILES,
    MAX_UPLOAD_MB,
    ROOT,
    TOKEN,
    UPLOAD_SECONDS,
)
from tests.serve.served import Served, command, raw_request, serving

OPENAPI_DOC = ROOT / "docs" / "serve-openapi.json"
OUTPUT = ROOT / "test-output"
DEMO_FILES = ("System.evtx", "my.txt")
ICACLS_TICKET = ROOT / "fixtures" / "tickets" / "s2-icacls"


def demo_parts() -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (name, (DEMO / name).read_bytes())) for name in DEMO_FILES]


def analyse(served: Served, files: list[Any], **data: str) -> httpx.Response:
    return httpx.post(served.url + "api/analyze", files=files, data=data, timeout=60)


def assert_still_serving(served: Served) -> None:
    """After a hostile request: the server still analyses a real ticket."""
    answer = analyse(served, demo_parts())
    assert answer.status_code == 200, answer.text
    assert answer.json()["analysis"]["verdict"] == "keyspec-signature"


def multipart(
    parts: list[tuple[str, bytes]], boundary: str = "certtriage-test-boundary"
) -> tuple[bytes, bytes]:
    """A multipart body written by hand (filenames exactly as given) and its content type."""
    body = b""
    for name, data in parts:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}".encode()


# --------------------------------------------------------------------------- the API


def test_analyze_answers_the_analysis_and_a_report_identical_to_analyze(served: Served) -> None:
    answer = analyse(served, demo_parts())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    analysis = body["analysis"]
    assert analysis["schema"] == "certtriage.analysis/1"
    assert analysis["verdict"] == "keyspec-signature"
    assert [i["path"] for i in analysis["inputs"]] == sorted(DEMO_FILES)
    # the same document as the library gives for the same files under the same names
    expected = run_analysis(list(DEMO_FILES), AnalysisOptions(base=DEMO))
    assert analysis == analysis_document(expected)

    assert body["report_url"] == f"{served.url}reports/{body['id']}"
    page = httpx.get(body["report_url"])
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == REPORT_CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.text == render_report(expected)  # byte for byte what `analyze` writes

    again = httpx.get(f"{served.url}api/reports/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body


def test_a_zip_and_the_options_thumbprint_and_at(served: Served) -> None:
    archive = zip_bytes({f"ticket/{name}": (DEMO / name).read_bytes() for name in DEMO_FILES})
    thumbprint = "DE E0 DA DE 9E 4D 9A DA FA 53 F1 20 4E FE B7 BB 93 25 BB 6D"
    answer = analyse(
        served,
        [("files", ("T-1001.zip", archive))],
        thumbprint=thumbprint,
        at="2025-06-03T16:08:00+02:00",
    )
    assert answer.status_code == 200, answer.text
    analysis = answer.json()["analysis"]
    assert analysis["verdict"] == "keyspec-signature"
    assert analysis["options"] == {
        "at": "2025-06-03T14:08:00Z",
        "thumbprint": "dee0dade9e4d9adafa53f1204efeb7bb9325bb6d",
    }
    assert "T-1001.zip!/ticket/my.txt" in [i["path"] for i in analysis["inputs"]]

    bad = analyse(served, demo_parts(), thumbprint="not-a-thumbprint")
    assert bad.status_code == 400
    assert bad.json() == {
        "message": "thumbprint 'not-a-thumbprint' is not a SHA-1 thumbprint (40 hex digits, "
        "spaces and colons allowed)"
    }


def test_health_and_errors_are_json_without_traceback(served: Served) -> None:
    health = httpx.get(served.url + "healthz")
    assert health.json()["status"] == "ok"
    for method, path in (
        ("GET", "api/reports/AAAAAAAAAAAAAAAAAAAAAA"),
        ("GET", "api/nothing"),
        ("PUT", "api/analyze"),
    ):
        answer = httpx.request(method, served.url + path)
        assert answer.status_code in (404, 405)
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) == {"message"}
        assert "Traceback" not in answer.text
    no_files = httpx.post(served.url + "api/analyze", data={"thumbprint": "x"})
    assert no_files.status_code == 400
    assert no_files.json()["message"].startswith("no file uploaded")


def test_openapi_is_served_and_matches_the_checked_in_document(served: Served) -> None:
    from analyzer.serve.app import create_app, openapi_text
    from analyzer.serve.config import ServeConfig

    produced = openapi_text(create_app(ServeConfig(data_dir=Path("unused"))))
    assert OPENAPI_DOC.read_text(encoding="utf-8") == produced, (
        "docs/serve-openapi.json differs from the app's: regenerate it with "
        "`certtriage serve --openapi > docs/serve-openapi.json`"
    )
    served_doc = httpx.get(served.url + "openapi.json").json()
    assert served_doc == json.loads(produced)
    assert set(served_doc["paths"]) == {"/api/analyze", "/api/reports/{report_id}", "/healthz"}
    body = served_doc["paths"]["/api/analyze"]["post"]["requestBody"]["content"]
    assert "files" in body["multipart/form-data"]["schema"]["properties"]


def test_the_upload_page_and_its_plain_form(served: Served) -> None:
    page = httpx.get(served.url)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'") and "script-src 'sha256-" in csp
    assert 'type="file"' in page.text and 'id="drop-zone"' in page.text

    posted = httpx.post(served.url + "upload", files=demo_parts())
    assert posted.status_code == 303
    report = httpx.get(served.url + posted.headers["location"])
    assert "KeySpec 2" in report.text

    hostile = "<script>alert(1)</script>.txt"
    refused = httpx.post(served.url + "upload", files=[("files", (hostile, b"data"))])
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in refused.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.txt" in refused.text


# --------------------------------------------------------------------------- the triage folder


def test_triage_folder_index_reports_and_nothing_else(served: Served, triage_out: Path) -> None:
    index = httpx.get(served.url + "triage", follow_redirects=True)
    assert index.status_code == 200
    assert index.text == (triage_out / "index.html").read_text(encoding="utf-8")
    assert index.headers["content-security-policy"] == triage_csp()
    assert "T-1001 &lt;img src=x onerror=alert(1)&gt;" in index.text  # escaped by the index

    ticket_dirs = [p for p in triage_out.iterdir() if p.is_dir()]
    hostile_dir = next(p for p in ticket_dirs if "onerror" in p.name)
    report = httpx.get(
        served.url + "triage/" + httpx.URL(hostile_dir.name).raw_path.decode() + "/report.html"
    )
    assert report.status_code == 200
    assert "KeySpec 2" in report.text
    assert httpx.get(served.url + "triage/summary.json").json()["schema"] == "certtriage.triage/1"
    assert HOSTILE_TICKET in {
        row["ticket"] for row in httpx.get(served.url + "triage/summary.json").json()["tickets"]
    }

    link = triage_out / "link.html"
    # Windows without the symlink privilege cannot make one: the other paths still count.
    with contextlib.suppress(OSError):
        link.symlink_to(triage_out.parent / "secret.html")
    for path in (
        "/triage/../secret.html",
        "/triage/%2e%2e/secret.html",
        "/triage/..%2fsecret.html",
        "/triage/%2E%2E%5Csecret.html",
        "/triage/link.html",
        f"/triage/{hostile_dir.name.replace(' ', '%20')}/.certtriage-ticket.json",
        "/triage/index.html%00.txt",
        "/triage//etc/passwd",
    ):
        status, _, body = raw_request(
            served, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        )
        assert status in (400, 404), path
        assert b"outside the triage folder" not in body


# --------------------------------------------------------------------------- hostile uploads


def test_zip_bomb_is_refused_by_the_archive_limits(served: Served) -> None:
    bomb = zip_bytes({"zeros.bin": b"\0" * (100 * 1024**2)})
    answer = analyse(served, [("files", ("bomb.zip", bomb))])
    assert answer.status_code == 422
    body = answer.json()
    assert "zip bomb" in body["message"] and body["message"].startswith("no usable input")
    assert httpx.get(body["report_url"]).status_code == 200  # the report says why, too
    assert_still_serving(served)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../evil.txt", "path traversal ('..')"),
        ("/etc/passwd", "absolute path"),
        ("..\\..\\win.ini", "path traversal ('..')"),
        ("report.txt:hidden", "':' in name (drive or alternate data stream)"),
        ("c:evil.txt", "drive-letter path"),
        ("CON.txt", "a Windows device name"),
        ("what?.txt", "not a valid Windows file name"),
        ("", "empty name"),
    ],
)
def test_unsafe_file_names_are_refused(served: Served, name: str, why: str) -> None:
    body, content_type = multipart([(name, b"certutil dump")])
    answer = httpx.post(
        served.url + "api/analyze", content=body, headers={"content-type": content_type.decode()}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"message": f"file name {name!r} refused: {why}"}
    assert list((served.data_dir / "uploads").iterdir()) == []  # and the upload folder is gone


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("C:\\Windows\\win.ini", "win.ini"),
        ("\x1b[31mred\x07.ini", "\ufffd[31mred\ufffd.ini"),
    ],
)
def test_names_made_safe_are_kept(served: Served, name: str, stored: str) -> None:
    """The multipart parser keeps what follows the last backslash of an absolute Windows path
    (old browsers sent the whole path); control characters become U+FFFD, as in archive member
    names. The file is stored by that name, inside its folder, and read as any other."""
    body, content_type = multipart([(name, b"[boot loader]\r\n")])
    answer = httpx.post(
        served.url + "api/analyze", content=body, headers={"content-type": content_type.decode()}
    )
    assert answer.status_code == 422, answer.text
    assert [i["path"] for i in answer.json()["analysis"]["inputs"]] == [stored]


def test_archive_members_with_unsafe_names_stay_inside(served: Served, tmp_path: Path) -> None:
    members = {
        "../../escaped.txt": b"x",
        "/abs.txt": b"y",
        "ok/my.txt": (DEMO / "my.txt").read_bytes(),
    }
    answer = analyse(served, [("files", ("slip.zip", zip_bytes(members)))])
    assert answer.status_code == 200, answer.text
    messages = " ".join(m for i in answer.json()["analysis"]["inputs"] for m in i["messages"])
    assert "path traversal" in messages and "absolute path" in messages
    assert not any(p.name == "escaped.txt" for p in served.data_dir.parent.rglob("escaped.txt"))
    assert_still_serving(served)


def test_empty_files_are_an_error(served: Served) -> None:
    answer = analyse(served, [("files", ("empty.txt", b""))])
    assert answer.status_code == 400
    assert answer.json() == {
        "message": "every uploaded file is empty (0 bytes): nothing to analyse"
    }
    assert_still_serving(served)


def test_a_stream_larger_than_the_limit_is_cut_off(served: Served) -> None:
    limit = MAX_UPLOAD_MB * 1024 * 1024
    head = (
        b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
    )
    preamble = b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
    piece = b"A" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(preamble), preamble)]
    chunks += [b"%x\r\n%s\r\n" % (len(piece), piece)] * (3 * limit // len(piece))  # 3x the limit
    started = time.monotonic()
    status, headers, body = raw_request(served, head, chunks)
    assert status == 413
    assert json.loads(body) == {"message": f"upload larger than the limit of {limit} bytes"}
    assert headers.get("connection") == "close"
    assert time.monotonic() - started < 30

    declared = (
        b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000000\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
    )
    status, _, body = raw_request(served, declared)  # refused before a byte of the body
    assert status == 413
    assert_still_serving(served)


def test_a_slow_upload_is_cut_off_at_the_time_limit(served: Served) -> None:
    body, content_type = multipart([("slow.txt", b"x" * 200)])
    head = (
        f"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        f"Content-Type: {content_type.decode()}\r\n\r\n"
    ).encode()
    pieces = [body[i : i + 10] for i in range(0, len(body), 10)]  # 10 bytes every 0.5 s: ~13 s
    started = time.monotonic()
    status, _, answer = raw_request(served, head, pieces, pause=0.5)
    elapsed = time.monotonic() - started
    assert status == 408
    assert json.loads(answer) == {"message": f"upload not received within {UPLOAD_SECONDS:g} s"}
    assert UPLOAD_SECONDS - 0.5 < elapsed < UPLOAD_SECONDS + 5
    assert_still_serving(served)


def test_too_many_files_are_refused(served: Served) -> None:
    files = [("files", (f"f{i}.txt", b"x")) for i in range(MAX_FILES + 1)]
    answer = analyse(served, files)
    assert answer.status_code == 400
    assert f"Maximum number of files is {MAX_FILES}" in answer.json()["message"]
    assert_still_serving(served)


def test_requests_from_other_sites_or_names_are_refused(served: Served) -> None:
    cross_site = httpx.post(
        served.url + "api/analyze", files=demo_parts(), headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    rebound = httpx.get(served.url + "healthz", headers={"Host": "evil.example"})
    assert rebound.status_code == 421  # DNS rebinding: an outside name pointing at 127.0.0.1


def test_reports_expire_after_keep_days(served: Served) -> None:
    body = analyse(served, demo_parts()).json()
    folder = served.data_dir / "reports" / body["id"]
    assert folder.is_dir()
    two_days_ago = time.time() - 2 * 86400
    os.utime(folder, (two_days_ago, two_days_ago))
    assert httpx.get(body["report_url"]).status_code == 404
    assert not folder.exists()


# --------------------------------------------------------------------------- load


def test_load_200_requests_8_at_a_time_all_answered(served: Served) -> None:
    """Bounded: 200 analyses of a one-file ticket, 8 in flight; figures go to test-output."""
    parts = [("files", ("icacls.txt", (ICACLS_TICKET / "icacls.txt").read_bytes()))]

    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    with httpx.Client(limits=limits, timeout=60) as client:

        def one(_: int) -> tuple[int, str, float]:
            started = time.perf_counter()
            answer = client.post(served.url + "api/analyze", files=parts)
            return answer.status_code, answer.json().get("id", ""), time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(200)))
        wall = time.perf_counter() - started
    assert [status for status, _, _ in results] == [200] * 200
    assert len({report_id for _, report_id, _ in results}) == 200  # none lost, none mixed up
    latencies = sorted(seconds for _, _, seconds in results)
    median = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "serve-load.txt").write_text(
        f"200 POST /api/analyze (icacls.txt, 1 KB), 8 concurrent, 2 workers: wall {wall:.2f} s, "
        f"{200 / wall:.1f} req/s, median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms\n",
        encoding="utf-8",
    )


# --------------------------------------------------------------------------- token, crashes


def test_non_loopback_bind_needs_a_token_and_checks_it(tmp_path: Path) -> None:
    refused = subprocess.run(
        command("--host", "127.0.0.2", "--data-dir", str(tmp_path)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CERTTRIAGE_TOKEN": ""},
    )
    assert refused.returncode == 2
    assert "give a token" in refused.stderr and "Traceback" not in refused.stderr
    short = subprocess.run(
        command("--host", "127.0.0.2", "--token", "short", "--data-dir", str(tmp_path)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 2 and "at least 16 characters" in short.stderr

    # 127.0.0.2: loopback still (no traffic leaves the machine), but not a loopback *name*
    with serving(
        command("--host", "127.0.0.2", "--data-dir", str(tmp_path), "--workers", "1"),
        tmp_path,
        env={"CERTTRIAGE_TOKEN": TOKEN},
    ) as server:
        assert server.url.startswith("http://127.0.0.2:")
        _check_token(server)


def _check_token(server: Served) -> None:
    url = server.url
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": TOKEN},
    ):
        answer = httpx.post(url + "api/analyze", files=demo_parts(), headers=headers)
        assert answer.status_code == 401
        assert answer.json()["message"].startswith("a token is needed")
    assert httpx.get(url + f"healthz?token={TOKEN}").status_code == 401  # never from a URL
    assert httpx.get(url + "healthz", headers=bearer).status_code == 200
    answer = httpx.post(url + "api/analyze", files=demo_parts(), headers=bearer)
    assert answer.status_code == 200
    report_url = answer.json()["report_url"]
    assert httpx.get(report_url).status_code == 303  # pages send the browser to the login form

    with httpx.Client() as browser:
        assert browser.get(url).headers["location"] == "/login"
        assert browser.get(url + "login").status_code == 200
        wrong = browser.post(url + "login", data={"token": "wrong-token-0123456789"})
        assert wrong.status_code == 401 and "Wrong token." in wrong.text
        right = browser.post(url + "login", data={"token": TOKEN})
        assert right.status_code == 303
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
        assert browser.get(report_url).status_code == 200
        assert "KeySpec 2" in browser.get(report_url).text
        assert browser.post(url + "api/analyze", files=demo_parts()).status_code == 200


def test_a_crashing_or_hanging_analysis_is_an_error_and_the_server_goes_on(tmp_path: Path) -> None:
    with serving([sys.executable, "-m", "tests.serve.launch", str(tmp_path)], tmp_path) as server:
        for name, status, text in (
            ("crash.txt", 500, "the analysis worker crashed (exit code 3)"),
            ("hang.txt", 504, "the analysis timed out after 2 s"),
            ("raise.txt", 500, "the analysis failed: RuntimeError: the analysis raised"),
        ):
            answer = analyse(server, [("files", (name, b"data"))])
            assert answer.status_code == status, answer.text
            assert answer.json() == {"message": text}
            assert_still_serving(server)
        assert list((tmp_path / "uploads").iterdir()) == []


# --------------------------------------------------------------------------- the command


def test_serve_without_the_extra_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['fastapi'] = None; sys.argv = ['certtriage', 'serve'];"
        "from analyzer.cli.commands import main; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "pip install 'certtriage[serve]'" in run.stderr
    assert "Traceback" not in run.stderr


def test_other_commands_do_not_import_the_web_framework() -> None:
    code = (
        "import sys; import analyzer.cli.commands;"
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.stdout.strip() == "[]"
