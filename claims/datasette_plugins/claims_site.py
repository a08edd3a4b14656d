"""Datasette plugin for the claims site: show a claim's sentence with its mention highlighted.

Every piece of text from an abstract goes through `markupsafe.escape`; only the <mark> element
around the mention is markup, so a `<script>` or `onerror=` in an abstract renders as text.
Loaded by `claims serve` through `--plugins-dir claims/datasette_plugins`.
"""
from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup, escape

SENTENCE_COLUMN = "sentence"


def _get(row, key):
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


def highlight(sentence: str, mention: str | None, start: int | None = None, end: int | None = None) -> Markup:
    """Escaped `sentence` with `sentence[start:end]` (or the first occurrence of `mention`) in <mark>."""
    if not mention:
        return Markup(escape(sentence))
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(sentence)
            and sentence[start:end] == mention):
        start = sentence.find(mention)
        if start < 0:
            return Markup(escape(sentence))
        end = start + len(mention)
    return Markup("{}<mark class=\"claim-mention\">{}</mark>{}").format(
        sentence[:start], sentence[start:end], sentence[end:])


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Highlight the mention in any `sentence` column of a row that also carries `mention`."""
    if column != SENTENCE_COLUMN or not isinstance(value, str):
        return None
    mention = _get(row, "mention")
    if not isinstance(mention, str):
        return None
    return highlight(value, mention, _get(row, "mention_start"), _get(row, "mention_end"))


@hookimpl
def prepare_connection(conn, database, datasette):
    """Read the (immutable) snapshot through mmap and a larger page cache: facet counts and
    foreign-key lookups on a million claims touch many pages."""
    conn.execute("PRAGMA mmap_size = 1073741824")
    conn.execute("PRAGMA cache_size = -65536")


CSS = """
td.col-sentence { min-width: 26em; }
td.col-title { min-width: 16em; }
mark.claim-mention { background: #ffe066; padding: 0 0.15em; border-radius: 2px; }
/* column descriptions in compact columns, so the rows stay above the fold (also shown in header menus) */
dl.column-descriptions { columns: 22em 4; column-gap: 2em; font-size: 0.8em; margin-bottom: 1em; }
dl.column-descriptions dt { break-after: avoid; margin-top: 0.3em; }
dl.column-descriptions dd { break-before: avoid; margin: 0 0 0.2em 1em; }
"""


@hookimpl
def register_routes():
    """A small stylesheet: room for the sentence column, a visible highlight."""
    from datasette import Response

    async def css(request):
        return Response(CSS, content_type="text/css; charset=utf-8",
                        headers={"cache-control": "max-age=3600"})

    return [(r"^/-/claims-site\.css$", css)]


@hookimpl
def extra_css_urls():
    return ["/-/claims-site.css"]
