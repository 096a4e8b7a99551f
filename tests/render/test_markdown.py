"""The Markdown ticket reply: customer text (a certificate subject, a path) must stay text when
the ticket system renders it, and code spans must survive backticks inside them."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from analyzer.model import Analysis, Diagnosis, Evidence, ReadResult, Source
from analyzer.render.markdown import (
    CustomerNames,
    block,
    code,
    paste_blocks,
    prose,
    quoted_prose,
    render_markdown,
)

HOSTILE = r"CN=<img src=x onerror=alert(1)> [click](http://evil.example/) **x** \[y\]"
commonmark = MarkdownIt("commonmark")


def rendered(markdown: str) -> str:
    return commonmark.render(markdown)


def test_hostile_subject_stays_text_in_every_part_of_the_reply() -> None:
    diagnosis = Diagnosis(
        id="keyspec-signature",
        kind="fault",
        scenario=3,
        title=f"Certificate key is AT_SIGNATURE: {HOSTILE}",
        confidence="high",
        confidence_reason=f"the dump shows KeySpec = 2 for {HOSTILE}",
        evidence=(Evidence(f"key of {HOSTILE}", Source("my.txt", line=3), "KeySpec = 2"),),
        summary=f"The private key of {HOSTILE} is AT_SIGNATURE.",
    )
    advisory = Diagnosis("certificate-expired", "advisory", None, f"Expired: {HOSTILE}", "high", "")
    analysis = Analysis(
        inputs=[ReadResult("my.txt", "certutil")],
        certificates=[],
        events=[],
        diagnoses=[diagnosis, advisory],
    )
    html = rendered(render_markdown(analysis))
    assert "<img" not in html
    assert "<a " not in html
    assert "<strong>x</strong>" not in html
    # what the reader sees is the subject as it was written
    assert html.count("CN=&lt;img src=x onerror=alert(1)&gt; [click](http://evil.example/)") == 6
    assert html.count(r"**x** \[y\]") == 6


def test_prose_keeps_windows_paths_and_rule_code_spans() -> None:
    text = r"in %ProgramData%\Microsoft\Crypto\RSA\MachineKeys: an `icacls` listing"
    assert prose(text) == text
    assert rendered(prose(text)) == (
        r"<p>in %ProgramData%\Microsoft\Crypto\RSA\MachineKeys: an <code>icacls</code> listing</p>"
        "\n"
    )


def test_code_spans_and_blocks_survive_backtick_runs() -> None:
    for text in ("plain", "a`b", "a``b", "```", "x ```` y"):
        assert rendered(code(text)) == f"<p><code>{text}</code></p>\n"
    body = "line one\n````\nline three"
    assert rendered("\n".join(block(body))) == f"<pre><code>{body}\n</code></pre>\n"


def test_subjects_and_thumbprints_are_code_spans_and_stay_text() -> None:
    from analyzer.model import Certificate

    thumbprint = "ab" * 20
    cert = Certificate(1, "my", False, thumbprint, subject=HOSTILE)
    diagnosis = Diagnosis(
        id="keyspec-signature",
        kind="fault",
        scenario=3,
        title=f"Key is AT_SIGNATURE: {HOSTILE} ({thumbprint})",
        confidence="high",
        confidence_reason="the dump says `KeySpec = 2` for this key",
        certificates=(thumbprint,),
    )
    analysis = Analysis([ReadResult("my.txt", "certutil")], [cert], [], [diagnosis])
    html = rendered(render_markdown(analysis))
    assert "<img" not in html and "<a " not in html
    assert f"<code>{thumbprint}</code>" in html
    assert (
        "<code>CN=&lt;img src=x onerror=alert(1)&gt; [click](http://evil.example/) **x** \\[y\\]</code>"
        in html
    )
    assert "<code>KeySpec = 2</code>" in html  # the rule's own code span is kept


def test_quoted_prose_leaves_literals_inside_existing_code_spans() -> None:
    text = "run `certutil -store my abcd` for abcd"
    assert quoted_prose(text, ["abcd"]) == "run `certutil -store my abcd` for `abcd`"
    assert quoted_prose("CN=a`b and CN=a`b", ["CN=a`b"]) == "`` CN=a`b `` and `` CN=a`b ``"


def test_customer_names_drop_the_engineers_folders_only() -> None:
    names = CustomerNames(
        [
            "/home/eng/tickets/T-1/my.txt",
            "/home/eng/tickets/T-1/logs/System.evtx",
            "/home/eng/tickets/T-1/logs.zip!/sub/Application.evtx",
        ]
    )
    assert names.path("/home/eng/tickets/T-1/logs/System.evtx") == "logs/System.evtx"
    assert names.path("/home/eng/tickets/T-1/logs.zip!/sub/x.evtx") == "logs.zip!/sub/x.evtx"
    assert names.text("cannot read /home/eng/tickets/T-1/my.txt") == "cannot read my.txt"
    # inputs from unrelated folders (or a drive root) keep only their own names
    apart = CustomerNames(["C:/Users/eng/a/my.txt", "D:/b/System.evtx"])
    assert [apart.path(p) for p in ("C:/Users/eng/a/my.txt", "D:/b/System.evtx")] == [
        "my.txt",
        "System.evtx",
    ]
    assert apart.text(r"see C:\Users\eng\a\my.txt") == "see my.txt"
    # a relative prefix is only removed where a path starts, not inside another word
    short = CustomerNames(["a/my.txt"])
    assert short.text("data/x and a/my.txt") == "data/x and my.txt"


def test_paste_blocks_split_at_manual_steps() -> None:
    command = "wevtutil sl X /e:true\nrem now add the binding again, then:\nwevtutil epl X x.evtx"
    assert paste_blocks(command) == [
        ("commands", "wevtutil sl X /e:true"),
        ("step", "Now add the binding again, then:"),
        ("commands", "wevtutil epl X x.evtx"),
    ]
    assert paste_blocks("netsh http show sslcert > s.txt") == [
        ("commands", "netsh http show sslcert > s.txt")
    ]


def test_a_ticket_without_usable_input_says_why_per_file() -> None:
    from analyzer.model import AskFor

    broken = ReadResult("/srv/q/T-9.zip", "collection")
    broken.fail(
        "encrypted (password-protected) zip: ask for the files without a password",
        code="archive.encrypted",
    )
    analysis = Analysis(
        [broken], [], [], [], ask_for=[AskFor("the log", "wevtutil epl System s.evtx", "36870")]
    )
    reply = render_markdown(analysis)
    assert "none of the attached files could be read" in reply
    assert "- `T-9.zip`: encrypted (password-protected) zip" in reply
    assert "/srv/q" not in reply
    assert "```bat\nwevtutil epl System s.evtx\n```" in reply


def test_the_reply_shows_a_runner_up_as_an_alternative_after_the_faults() -> None:
    from pathlib import Path

    from analyzer.pipeline import run_analysis

    ticket = Path(__file__).resolve().parents[2] / "fixtures" / "tickets" / "s2-none"
    reply = render_markdown(run_analysis([ticket]))
    faults = [line for line in reply.splitlines() if re.match(r"### \d+\. ", line)]
    assert faults and not any("account cannot open" in line for line in faults)
    alternative = reply.index("### Alternative, not confirmed: The account cannot open")
    assert alternative > reply.index(faults[-1])
    assert "Only if the evidence confirms it" in reply[alternative:]
    # the verdict's plans are alternatives, each with its blocks and the pages they rest on
    assert "**Plan A: Re-link the certificate to its key**" in reply
    assert "```bat\ncertutil -repairstore my " in reply
    assert "[certutil (Windows commands)](https://learn.microsoft.com/" in reply


def test_the_reply_names_the_bindings_of_the_verdicts_certificate() -> None:
    from pathlib import Path

    from analyzer.pipeline import run_analysis

    ticket = Path(__file__).resolve().parents[2] / "fixtures" / "tickets" / "collection-s2"
    reply = render_markdown(run_analysis([ticket]))
    assert (
        "- Binding: `0.0.0.0:443` → `26c8c253be4503b5ca817e34be8e4fe11c5de9c8` (netsh, `" in reply
    )
