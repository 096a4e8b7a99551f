"""The Markdown ticket reply: customer text (a certificate subject, a path) must stay text when
the ticket system renders it, and code spans must survive backticks inside them."""

from __future__ import annotations

from markdown_it import MarkdownIt

from analyzer.model import Analysis, Diagnosis, Evidence, ReadResult, Source
from analyzer.render.markdown import block, code, prose, render_markdown

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
