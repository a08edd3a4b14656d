"""Datasette plugin for the claims site.

* the mention highlighted in every `sentence` column (and on a paper's page), LaTeX escapes
  (`72\\%`) shown as the text reads (`72%`);
* entity pages: the row pages of systems, compared_baselines, hardware and papers get sections
  (a system's results, whom it beats, who beats it; a hardware's best results; a paper's claims
  with their sentences), through templates/row.html and `extra_template_vars`;
* canned queries: parameter inputs become dropdowns filled from the vocabulary, and an empty
  result says why ("no mfu claim on H100 in this corpus; mfu is reported on A100, GPU");
* a stylesheet: compact leaderboards (plumbing columns hidden on the HTML pages; JSON and CSV keep
  every column), a visible highlight.

Every piece of text from the database goes through `markupsafe.escape`; only the elements built
here are markup, so a `<script>` or `onerror=` in an abstract renders as text. Loaded by
`claims serve` through `--plugins-dir claims/datasette_plugins`.
"""
from __future__ import annotations

import json
from urllib.parse import quote

from datasette import hookimpl
from markupsafe import Markup, escape

SENTENCE_COLUMN = "sentence"
SENTENCE_LINK = "sentence_id"   # the claims table's link to its sentence, shown as the sentence
# LaTeX escapes that abstracts carry into mentions and sentences: \% \$ \& \_ \# -> the character
LATEX_ESCAPES = {"\\%": "%", "\\$": "$", "\\&": "&", "\\_": "_", "\\#": "#"}


def _get(row, key):
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


def unlatex(text: str) -> str:
    """`72\\%` -> `72%`: the escapes LaTeX sources leave in abstracts, shown as the text reads."""
    for escaped, plain in LATEX_ESCAPES.items():
        text = text.replace(escaped, plain)
    return text


def highlight(sentence: str, mention: str | None, start: int | None = None, end: int | None = None) -> Markup:
    """Escaped `sentence` with `sentence[start:end]` (or the first occurrence of `mention`) in <mark>."""
    if not mention:
        return Markup(escape(unlatex(sentence)))
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(sentence)
            and sentence[start:end] == mention):
        start = sentence.find(mention)
        if start < 0:
            return Markup(escape(unlatex(sentence)))
        end = start + len(mention)
    return Markup("{}<mark class=\"claim-mention\">{}</mark>{}").format(
        unlatex(sentence[:start]), unlatex(sentence[start:end]), unlatex(sentence[end:]))


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Highlight the mention in any `sentence` column of a row that also carries `mention`, and in
    the claims table's `sentence_id` (the sentence's text, stored once in `sentences`); show
    mentions without LaTeX escapes."""
    if table == "claims" and column == SENTENCE_LINK and value is not None:
        return _sentence_cell(row, value, database, datasette)
    if table == "claims" and column == "paper_id" and isinstance(value, str):
        return _paper_cell(value, database, datasette)   # the claim's page: no labels looked up there
    if isinstance(value, dict) and column in ("claim_id", "paper_id") and value.get("value") is not None:
        # a foreign key: the link labelled as the text reads (the claim's mention without LaTeX
        # escapes, the paper's title), without the id repeated beside it
        label = value.get("label") or value["value"]
        return Markup('<a href="{}/{}/{}">{}</a>').format(
            datasette.urls.database(database), "claims" if column == "claim_id" else "papers",
            _tilde(str(value["value"])), unlatex(str(label)))
    if not isinstance(value, str):
        return None
    if column == MARKS_COLUMN and value and _get(row, "claim_id"):
        claim = _get(row, "claim_id")       # a dict on table pages (the expanded foreign key)
        return _mark(value, str(claim.get("value") if isinstance(claim, dict) else claim), database, datasette)
    if table is None and database and column in LINKS:
        # canned-query results: ids, systems, baselines and hardware link to their pages
        return Markup('<a href="{}/{}/{}">{}</a>').format(
            datasette.urls.database(database), LINKS[column], _tilde(value), value)
    if column == "mention" and "\\" in value:
        return unlatex(value)
    if column in ("paper_url", "url") and value.startswith(("https://", "http://")):
        search = "arxiv.org/search/" in value
        return Markup('<a class="paper-link" href="{}">{}</a>').format(value, "search arXiv ↗" if search else "paper ↗")
    if column != SENTENCE_COLUMN:
        return None
    mention = _get(row, "mention")
    if not isinstance(mention, str):
        return None
    return highlight(value, mention, _get(row, "mention_start"), _get(row, "mention_end"))


MARKS_COLUMN = "marks"
MARK_SQL = """select severity, explanation from checks where claim_id = :claim_id and severity <> 'info'
              order by case severity when 'impossible' then 1 else 2 end, check_id"""


def _mark(value: str, claim_id: str, database: str, datasette):
    """A board's `marks` cell (physics checks, issue 15) as a reader sees it: '⚠ impossible: 1.6× the
    A100 dense BF16 peak', the checks' arithmetic as its tooltip, a link to the claim's rows on the
    physics_checks page. One indexed lookup per flagged cell (checks.claim_id)."""
    async def inner():
        rows = (await datasette.get_database(database).execute(MARK_SQL, {"claim_id": claim_id})).rows
        title = "\n".join(f"{r['severity']}: {r['explanation']}" for r in rows) or value
        severity = "impossible" if value.startswith("impossible") else "unusual"
        href = "{}/physics_checks?claim_id={}".format(datasette.urls.database(database), quote(claim_id, safe=""))
        return Markup('<a class="claims-mark claims-mark-{}" href="{}" title="{}">⚠ {}</a>').format(
            severity, href, title, value)
    return inner


def _sentence_cell(row, value, database, datasette):
    """The claim's sentence, its mention highlighted, linking to the sentence's row. On the table
    page Datasette has looked the text up as the foreign key's label (`sentences.text`, one query
    per page); on the claim's own page the value is the bare id and the text is read here."""
    mention = _get(row, "mention")
    start, end = _get(row, "mention_start"), _get(row, "mention_end")
    base = datasette.urls.database(database)

    def cell(sentence_id, text):
        return Markup('<a class="claim-sentence" href="{}/sentences/{}">{}</a>').format(
            base, sentence_id, highlight(text, mention, start, end) if isinstance(mention, str) else text)

    if isinstance(value, dict):
        label = value.get("label")
        return cell(value["value"], label) if isinstance(label, str) else None

    async def lookup():
        found = (await datasette.get_database(database).execute(
            "select text from sentences where sentence_id = :id", {"id": value})).first()
        return cell(value, found[0]) if found is not None else None

    return lookup


def _paper_cell(paper_id, database, datasette):
    """The paper's title linking to its page, for a claim's page (the table page labels it)."""
    async def lookup():
        found = (await datasette.get_database(database).execute(
            "select title from papers where paper_id = :id", {"id": paper_id})).first()
        label = found[0] if found is not None else paper_id
        return Markup('<a href="{}/papers/{}">{}</a>').format(
            datasette.urls.database(database), _tilde(paper_id), unlatex(str(label)))

    return lookup


@hookimpl
def prepare_connection(conn, database, datasette):
    """Read the (immutable) snapshot through mmap and a larger page cache: facet counts and
    foreign-key lookups on a million claims touch many pages."""
    conn.execute("PRAGMA mmap_size = 1073741824")
    conn.execute("PRAGMA cache_size = -65536")


# --------------------------------------------------------------------------- entity pages
# (title, SQL with :key, columns shown, how each links). Queries read indexed columns only.
LINKS = {"system": "systems", "baseline_canonical": "compared_baselines", "paper_id": "papers",
         "claim_id": "claims", "hardware": "hardware"}

SECTIONS: dict[str, list[tuple[str, str]]] = {
    "systems": [
        ("Results on the leaderboards", """
            select board, rank, result, setup, baseline, paper_id, title, year, claim_id from leaderboard_best
            where system = :key order by board, rank limit 100"""),
        ("Whom it beats", """
            select baseline_canonical, result, metric, direction, setup, paper_id, title, year, claim_id
            from leaderboard_head_to_head where system = :key order by unit desc, factor desc limit 100"""),
        ("Who beats it", """
            select system, result, metric, direction, setup, paper_id, title, year, claim_id
            from leaderboard_head_to_head where baseline_canonical = :key order by unit desc, factor desc limit 100"""),
        ("All its claims (also those kept off the boards)", """
            select c.claim_id, c.mention, c.kind, c.metric, c.hardware, c.baseline, c.excluded_by, c.paper_id, p.title
            from claims c join papers p on p.paper_id = c.paper_id
            where c.system = :key order by c.sentence_id limit 200"""),
    ],
    "compared_baselines": [
        ("Systems that claim to beat it", """
            select system, result, metric, direction, setup, paper_id, title, year, claim_id
            from leaderboard_head_to_head where baseline_canonical = :key order by unit desc, factor desc limit 100"""),
        ("Its own results on the leaderboards", """
            select board, rank, result, setup, paper_id, title, year, claim_id from leaderboard_best
            where system = :key order by board, rank limit 100"""),
        ("Whom it beats", """
            select baseline_canonical, result, metric, direction, setup, paper_id, title, year, claim_id
            from leaderboard_head_to_head where system = :key order by unit desc, factor desc limit 100"""),
    ],
    "hardware": [
        ("Best results on it", """
            select board, hardware_rank, system, result, setup, baseline, paper_id, title, year, claim_id
            from leaderboard_best where hardware = :key order by board, hardware_rank limit 100"""),
        ("Specifications (rules/hardware_specs.yml)", """
            select variant, figure, precision, value, unit, source from hardware_specs
            where hardware = :key order by is_default desc, variant, figure, precision limit 100"""),
        ("Speedups on it", """
            select rank, system, result, metric, baseline, flag, paper_id,
                   (select title from papers p where p.paper_id = s.paper_id) as title, year, claim_id
            from leaderboard_speedups s where hardware = :key order by rank limit 50"""),
    ],
    "papers": [
        ("Claims, with their sentences", """
            select c.claim_id, c.mention, c.kind, c.metric, c.system, c.hardware, c.baseline, c.excluded_by,
                   s.text as sentence, c.mention_start, c.mention_end
            from claims c left join sentences s on s.sentence_id = c.sentence_id
            where c.paper_id = :key order by c.span_start limit 500"""),
    ],
}
HIDDEN_IN_SECTIONS = {"mention_start", "mention_end", "title"}


def _cell(column: str, value, row: dict, base: str):
    if value is None:
        return Markup('<span class="null">&nbsp;</span>')
    if column == SENTENCE_COLUMN:
        return highlight(value, row.get("mention"), row.get("mention_start"), row.get("mention_end"))
    text = unlatex(str(value)) if column == "mention" else str(value)
    if column == "source" and text.startswith(("https://", "http://")):
        return Markup('<a href="{}">source ↗</a>').format(text)
    if column == "paper_id" and row.get("title"):
        text = row["title"]
    if column in LINKS:
        return Markup('<a href="{}/{}/{}">{}</a>').format(base, LINKS[column], _tilde(str(value)), text)
    return Markup(escape(text))


def _tilde(value: str) -> str:
    from datasette.utils import tilde_encode

    return tilde_encode(value)


def _section_html(title: str, columns: list[str], rows: list[dict], base: str) -> Markup:
    shown = [c for c in columns if c not in HIDDEN_IN_SECTIONS]
    if not rows:
        return Markup('<h2 class="claims-section">{}</h2><p class="claims-empty">None in this corpus.</p>').format(title)
    head = Markup("").join(Markup('<th class="col-{}">{}</th>').format(c, c) for c in shown)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(
            Markup('<td class="col-{}">{}</td>').format(c, _cell(c, r[c], r, base)) for c in shown))
        for r in rows)
    return Markup('<h2 class="claims-section">{} <small>({} row{})</small></h2>'
                  '<div class="table-wrapper"><table class="rows-and-columns claims-section-table">'
                  "<thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>").format(
        title, len(rows), "" if len(rows) == 1 else "s", head, body)


def _row_key(request) -> str | None:
    from datasette.utils import tilde_decode

    pks = request.url_vars.get("pks")
    if not pks or "," in pks:
        return None
    return tilde_decode(pks)


@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    if view_name != "row" or table not in SECTIONS or request is None:
        return None

    async def sections():
        key = _row_key(request)
        if key is None:
            return {"claims_sections": []}
        db = datasette.get_database(database)
        base = datasette.urls.database(database)
        out = []
        for title, sql in SECTIONS[table]:
            result = await db.execute(sql, {"key": key})
            cols = list(result.columns)
            out.append(_section_html(title, cols, [dict(zip(cols, r)) for r in result.rows], base))
        if table == "papers":
            row = (await db.execute("select url, url_is_search, links from papers where paper_id = :key",
                                    {"key": key})).first()
            if row is not None:
                out.insert(0, _paper_links(row["url"], row["url_is_search"], row["links"]))
        return {"claims_sections": out}

    return sections


def _paper_links(url, is_search, links) -> Markup:
    items = [Markup('<a class="paper-link" href="{}">{}</a>').format(
        url, "search arXiv for this title" if is_search else "the paper")] if url else []
    for link in (links or "").split():
        if link.startswith(("http://", "https://")):
            items.append(Markup('<a class="code-link" href="{}">{}</a>').format(link, link))
    return Markup('<p class="claims-paper-links">Links: {}</p>').format(Markup(" · ").join(items))


# --------------------------------------------------------------------------- canned queries
# Each parameter's dropdown options (SQL returning one column), and why a query found nothing.
PARAM_OPTIONS = {
    "metric": "select distinct metric from leaderboard_best order by metric",
    "hardware": "select hardware from hardware where n_on_boards > 0 order by hardware",
    "baseline": "select baseline from compared_baselines where named = 1 order by n_claims desc, baseline",
}
OPTIONAL_PARAMS = {("best_for_metric", "hardware")}


async def _empty_note(db, query: str, args) -> str | None:
    """One sentence saying why `query` found nothing for these arguments, or None if it found rows."""
    metric, hardware, baseline = (args.get(k, "").strip() for k in ("metric", "hardware", "baseline"))
    one = lambda sql, p: db.execute(sql, p)  # noqa: E731
    if query == "best_for_metric":
        if (await one("select 1 from leaderboard_best where metric = lower(:m) and (:h = '' or hardware = :h) limit 1",
                      {"m": metric, "h": hardware})).first():
            return None
        where = [r[0] for r in (await one(
            "select distinct coalesce(hardware, 'hardware not stated') from leaderboard_best where metric = lower(:m) order by 1",
            {"m": metric})).rows]
        if not where:
            boards = [r[0] for r in (await one("select distinct metric from leaderboard_best order by 1", {})).rows]
            return f"No leaderboard for the metric '{metric}' in this corpus; metrics with one: {', '.join(boards)}."
        return f"No {metric} claim on {hardware} in this corpus; {metric} is reported on {', '.join(where)}."
    if query == "beats":
        if (await one("select 1 from leaderboard_head_to_head where baseline_canonical = :b limit 1", {"b": baseline})).first():
            return None
        top = [r[0] for r in (await one(
            "select baseline from compared_baselines where named = 1 order by n_claims desc, baseline limit 8", {})).rows]
        return f"No claim in this corpus compares against '{baseline}'; most compared with: {', '.join(top)}."
    if query == "speedups_by_hardware":
        if (await one("select 1 from leaderboard_speedups where hardware = :h limit 1", {"h": hardware})).first():
            return None
        where = [r[0] for r in (await one(
            "select distinct hardware from leaderboard_speedups where hardware is not null order by 1", {})).rows]
        return f"No speedup factor measured on '{hardware}' in this corpus; factors are reported on: {', '.join(where)}."
    return None


@hookimpl
def extra_body_script(template, database, table, columns, view_name, request, datasette):
    if template != "query.html" or request is None or database is None:
        return None
    query = request.url_vars.get("table") or request.path.rstrip("/").split("/")[-1]
    canned = (datasette.metadata("queries", database=database) or {}).get(query)
    if not canned:
        return None

    async def script():
        db = datasette.get_database(database)
        options = {}
        for param in canned.get("params") or []:
            if param in PARAM_OPTIONS:
                values = [r[0] for r in (await db.execute(PARAM_OPTIONS[param])).rows if r[0] is not None]
                options[param] = ([""] if (query, param) in OPTIONAL_PARAMS else []) + values
        note = await _empty_note(db, query, request.args) if any(request.args.get(p) for p in canned.get("params") or []) else None
        return SCRIPT % (json.dumps(options), json.dumps(note))

    return script


# Inputs -> <select> with the vocabulary (case-insensitive match of the current value); the note
# replaces Datasette's "0 results". JSON-encoded data only, no markup from the database.
SCRIPT = """
(function () {
  const options = %s, note = %s;
  for (const [name, values] of Object.entries(options)) {
    const input = document.querySelector('form input[name="' + name + '"]');
    if (!input) continue;
    const select = document.createElement('select');
    select.name = name; select.id = input.id; select.className = 'claims-param';
    const current = (input.value || '').toLowerCase();
    let chosen = false;
    for (const v of values) {
      const o = document.createElement('option');
      o.value = v; o.textContent = v === '' ? '(any)' : v;
      if (!chosen && v.toLowerCase() === current) { o.selected = true; chosen = true; }
      select.appendChild(o);
    }
    if (!chosen && input.value) {
      const o = document.createElement('option');
      o.value = input.value; o.textContent = input.value + ' (not in this corpus)'; o.selected = true;
      select.appendChild(o);
    }
    input.replaceWith(select);
  }
  if (note) {
    const zero = document.querySelector('p.zero-results');
    const p = document.createElement('p');
    p.className = 'claims-empty-note'; p.textContent = note;
    if (zero) zero.replaceWith(p); else document.querySelector('form').after(p);
  }
})();
"""

# --------------------------------------------------------------------------- stylesheet
# Plumbing columns hidden on the HTML pages of the leaderboards and the claims table (they stay
# in .json and .csv, and in the column menus' facets): ids, offsets, rule versions, raw numbers
# that the `result` column shows as people write them.
HIDDEN = {
    "leaderboard_best": ["rowid", "Link", "metric", "hardware", "hardware_count", "value", "value_high", "unit",
                         "qualifier", "hardware_rank", "n_reports", "higher_is_better", "model", "mention",
                         "title", "compare_unit", "score"],
    "leaderboard_speedups": ["rowid", "Link", "factor", "value", "value_high", "hardware", "hardware_count",
                             "qualifier", "baseline_phrase", "mention"],
    "leaderboard_head_to_head": ["rowid", "Link", "kind", "factor", "factor_high", "unit", "qualifier", "hardware",
                                 "mention", "title", "named_baseline"],
    "leaderboard_speedups_by_hardware": ["rowid", "Link", "top_paper_id"],
    "leaderboard_scale": ["rowid", "Link", "title"],
    "claims": ["mention_start", "mention_end", "value", "value_high", "value_base",
               "unit_base", "sentence_index", "span_start", "span_end", "rule_id", "rules_version",
               "baseline_canonical"],
}


def _hidden_css() -> str:
    rules = []
    for table, cols in HIDDEN.items():
        sel = ", ".join(f"body.table-{table} .rows-and-columns .col-{c}" for c in cols)
        rules.append(sel + " { display: none; }")
    return "\n".join(rules)


CSS = """
td.col-sentence { min-width: 26em; }
.table-claims td.col-sentence_id { min-width: 30em; max-width: 46em; }
td.col-title { min-width: 16em; }
body.table-papers td.col-abstract { min-width: 36em; }
body.table-papers td.col-sources, body.table-papers td.col-links { max-width: 14em; overflow-wrap: anywhere; }
td.col-result { white-space: nowrap; font-weight: 600; }
td.col-setup, td.col-rank { white-space: nowrap; }
mark.claim-mention { background: #ffe066; padding: 0 0.15em; border-radius: 2px; }
a.claims-mark { font-weight: 600; text-decoration: none; white-space: nowrap; }
a.claims-mark-impossible { color: #b00020; }
a.claims-mark-unusual { color: #8a5a00; }
p.claims-empty-note { background: #fff3cd; border: 1px solid #e0c060; padding: 0.6em 0.8em; }
h2.claims-section { margin-top: 1.4em; }
select.claims-param { min-width: 12em; }
/* the leaderboards and the claims table start with their rows: column descriptions are in the header menus */
body.table-leaderboard_best dl.column-descriptions, body.table-leaderboard_speedups dl.column-descriptions,
body.table-leaderboard_head_to_head dl.column-descriptions, body.table-claims dl.column-descriptions,
body.table-leaderboard_speedups_by_hardware dl.column-descriptions, body.table-leaderboard_scale dl.column-descriptions { display: none; }
/* column descriptions in compact columns, so the rows stay above the fold (also shown in header menus) */
dl.column-descriptions { columns: 22em 4; column-gap: 2em; font-size: 0.8em; margin-bottom: 1em; }
dl.column-descriptions dt { break-after: avoid; margin-top: 0.3em; }
dl.column-descriptions dd { break-before: avoid; margin: 0 0 0.2em 1em; }
""" + _hidden_css()


@hookimpl
def register_routes():
    """A small stylesheet: compact leaderboards, room for the sentence column, a visible highlight."""
    from datasette import Response

    async def css(request):
        return Response(CSS, content_type="text/css; charset=utf-8",
                        headers={"cache-control": "max-age=3600"})

    return [(r"^/-/claims-site\.css$", css)]


@hookimpl
def extra_css_urls():
    return ["/-/claims-site.css"]
