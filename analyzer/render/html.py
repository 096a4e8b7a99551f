"""The HTML report: one self-contained page (inline CSS and SVG, no script, no network).

Templates live in ``reports/`` (``report.html.j2`` and its ``_*.html.j2`` sections) and are
rendered with autoescaping on: every string from a customer file is untrusted. The stylesheet
``report.css`` is inlined at render time so that the page needs nothing beside itself.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2
from markupsafe import Markup

from analyzer.model import Analysis
from analyzer.render.report_view import build_view
from analyzer.resources import cache_dir, reports_dir

REPORT_TEMPLATE = "report.html.j2"
REPORT_CSS = "report.css"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    # Compiling the report's templates costs about 100 ms a run: their bytecode is kept in the
    # user's cache folder, keyed by each template's source (an edited template is recompiled).
    compiled = cache_dir("templates")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(reports_dir())),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=1)
def stylesheet() -> Markup:
    # Our own file, not customer text: it goes into <style> unescaped.
    return Markup((reports_dir() / REPORT_CSS).read_text(encoding="utf-8"))


def render_report(analysis: Analysis) -> str:
    """The report page for one analysed ticket; the same Analysis always gives the same text."""
    template = environment().get_template(REPORT_TEMPLATE)
    return template.render(view=build_view(analysis), css=stylesheet())
