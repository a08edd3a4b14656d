"""The published site in-process (datasette.client): canned queries, leaderboards, facets, units,
metadata coverage, the claim page highlight and HTML escaping."""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from html import unescape
from urllib.parse import urlencode

import pytest
import yaml

from claims.publish import metadata_path

META = yaml.safe_load(metadata_path().read_text(encoding="utf-8"))
DB = META["databases"]["claims"]


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def get_json(ds, path):
    r = get(ds, path)
    assert r.status_code == 200, (path, r.text[:500])
    return r.json()


def canned(ds, name, **params):
    return get_json(ds, f"/claims/{name}.json?{urlencode({**params, '_shape': 'array'})}")


# ------------------------------------------------------------------------------ canned queries

def test_best_for_metric_mfu_has_megascale(bundled_site):
    rows = canned(bundled_site, "best_for_metric", metric="mfu")
    mega = [r for r in rows if r["system"] == "MegaScale"]
    assert mega and mega[0]["result"] == "55.2%" and mega[0]["setup"] == "12,288 × GPU"
    assert mega[0]["year"] == 2024 and mega[0]["paper_url"].startswith("https://")
    assert {r["board"] for r in rows} == {"mfu (%)"}            # one unit per ranking
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))   # no 1, 1, 1, 2
    assert canned(bundled_site, "best_for_metric", metric="MFU") == rows   # case-insensitive


def test_best_for_metric_filters_on_hardware(bundled_site):
    rows = canned(bundled_site, "best_for_metric", metric="mfu", hardware="gpu")
    assert rows and all(r["setup"].endswith("GPU") for r in rows)
    assert canned(bundled_site, "best_for_metric", metric="mfu", hardware="no-such-chip") == []


def test_empty_canned_result_says_why(bundled_site):
    html = get(bundled_site, "/claims/best_for_metric?metric=mfu&hardware=H100").text
    note = re.search(r"const options = (.*?), note = (.*?);\n", html)
    assert note, "the plugin script is on the page"
    text = json.loads(note.group(2))
    assert text.startswith("No mfu claim on H100 in this corpus; mfu is reported on ") and "A100" in text
    assert json.loads(note.group(1))["metric"][:1] and "mfu" in json.loads(note.group(1))["metric"]
    # a query with rows gets the dropdowns and no note
    html = get(bundled_site, "/claims/beats?baseline=vLLM").text
    found = re.search(r"const options = (.*?), note = (.*?);\n", html)
    assert json.loads(found.group(2)) is None and json.loads(found.group(1))["baseline"][0] == "vLLM"
    html = get(bundled_site, "/claims/beats?baseline=nothing-like-this").text
    assert "compares against 'nothing-like-this'; most compared with: vLLM" in unescape(html)


def test_beats_vllm(bundled_site):
    rows = canned(bundled_site, "beats", baseline="vLLM")
    assert len(rows) >= 5
    assert {r["baseline_canonical"] for r in rows} == {"vLLM"}
    assert len({r["baseline"] for r in rows}) > 1, "aliases like 'state-of-the-art ... vLLM' group together"
    assert canned(bundled_site, "beats", baseline="vllm") == rows  # case-insensitive
    slora = [r for r in rows if r["system"] == "S-LoRA"]   # "HuggingFace PEFT and vLLM" keeps vLLM
    assert slora and slora[0]["result"].endswith("×") and "PEFT and vLLM" in slora[0]["baseline"]


def test_speedups_by_hardware(bundled_site):
    board = get_json(bundled_site, "/claims/leaderboard_speedups_by_hardware.json?_shape=array&hardware=GPU")[0]
    rows = canned(bundled_site, "speedups_by_hardware", hardware="gpu")
    assert len(rows) == board["n_factors"]
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    top = get_json(bundled_site, f"/claims/leaderboard_speedups.json?_shape=array&claim_id={board['top_claim_id']}")[0]
    assert top["factor"] == board["max_factor"] and top["flag"] is None


def test_claims_for_paper(bundled_site):
    rows = canned(bundled_site, "claims_for_paper", title="MegaScale")
    mentions = {r["mention"] for r in rows}
    assert {"55.2%", "1.34x"} <= mentions
    assert len({r["paper_id"] for r in rows}) == 1
    assert canned(bundled_site, "claims_for_paper", title="") == []
    assert canned(bundled_site, "claims_for_paper", title='"unbalanced AND (') == []  # escaped, no error


def test_every_canned_query_declares_its_parameters():
    assert set(DB["queries"]) >= {"speedups_by_hardware", "best_for_metric", "beats", "claims_for_paper"}
    for name, q in DB["queries"].items():
        assert set(q["params"]) == set(re.findall(r":(\w+)", q["sql"])), name


# ------------------------------------------------------------------------------ leaderboards

def test_head_to_head_has_nanoflow(bundled_site):
    rows = get_json(bundled_site, "/claims/leaderboard_head_to_head.json?_shape=array&system=NanoFlow")
    assert any(r["factor"] == 1.91 and r["unit"] == "x" and r["metric"] == "throughput" for r in rows)


def test_scale_leaderboard_has_megascale_gpus(bundled_site):
    rows = get_json(bundled_site, "/claims/leaderboard_scale.json?_shape=array&hardware_category=gpu"
                                  "&_sort_desc=max_hardware_count&_size=20")
    assert any(r["title"].startswith("MegaScale") and r["max_hardware_count"] == 12288 for r in rows)


def test_facet_counts_match_sql(bundled_site, bundled_site_db):
    data = get_json(bundled_site, "/claims/claims.json?_facet=kind&_size=0")
    facet = {f["value"]: f["count"] for f in data["facet_results"]["kind"]["results"]}
    con = sqlite3.connect(bundled_site_db)
    expected = dict(con.execute("SELECT kind, count(*) FROM claims GROUP BY kind").fetchall())
    con.close()
    assert facet == expected
    # the default facets of the metadata are all computed on the table page
    data = get_json(bundled_site, "/claims/claims.json?_size=0")
    assert set(data["facet_results"]) == {"metric", "kind", "hardware", "excluded_by"}
    assert not data.get("facets_timed_out")


def _facets(ds, path):
    data = get_json(ds, path)
    assert not data.get("facets_timed_out"), path
    return {name: {(f["value"], f["count"], f["selected"]) for f in facet["results"]}
            for name, facet in data["facet_results"].items()}


def test_counted_facets_equal_counting_the_rows(bundled_site):
    """Every counted facet of the metadata (read from facet_counts, filled by publish) gives what
    Datasette's column facet counts with SQL, without a filter and with one filter on each value
    of another counted column (the column facet of `_facet=` is computed beside it: name_2)."""
    from claims.publish import counted_facets

    facets = counted_facets()
    assert {"claims", "leaderboard_best", "leaderboard_head_to_head", "papers"} <= set(facets)
    for table, columns in facets.items():
        extra = "&".join(f"_facet={c}" for c in columns)
        got = _facets(bundled_site, f"/claims/{table}.json?_size=0&_facet_size=max&{extra}")
        filters = []
        for column in columns:
            assert got[column] == got[f"{column}_2"], (table, column)
            filters += [(column, value) for value, _, _ in sorted(got[column], key=str)[:3]]
        for column, value in filters:
            q = urlencode({column: value})
            with_filter = _facets(bundled_site, f"/claims/{table}.json?_size=0&_facet_size=max&{q}&{extra}")
            for other in columns:
                assert with_filter[other] == with_filter[f"{other}_2"], (table, column, value, other)


def test_counted_facets_are_read_from_the_snapshot(tmp_path, mini_site_db):
    """The table page's counts come from facet_counts (tampered with here), a request the counts
    do not cover (two filters, a search) counts the rows, and a snapshot without facet_counts still
    gets counts."""
    import shutil

    from conftest import make_datasette

    db = tmp_path / "claims.sqlite"
    shutil.copyfile(mini_site_db, db)
    con = sqlite3.connect(db)
    real = dict(con.execute("SELECT kind, count(*) FROM claims GROUP BY kind").fetchall())
    con.execute("UPDATE facet_counts SET count = count + 1000 WHERE table_name = 'claims' AND column_name = 'kind'")
    con.commit()
    con.close()
    ds = make_datasette(db)
    kind = lambda path: {v: n for v, n, _ in _facets(ds, path)["kind"]}   # noqa: E731
    assert kind("/claims/claims.json?_size=0") == {k: n + 1000 for k, n in real.items()}
    assert kind("/claims/claims.json?_size=0&metric=mfu")["absolute"] > 1000     # one filter: precounted
    assert kind("/claims/claims.json?_size=0&metric=mfu&kind=absolute")["absolute"] < 1000   # two: counted
    assert kind("/claims/claims.json?_size=0&unit=%25")["absolute"] < 1000   # a column not counted
    assert all(n < 1000 for n in kind("/claims/claims.json?_size=0&_search=MFU").values())
    con = sqlite3.connect(db)
    con.execute("DROP TABLE facet_counts")
    con.commit()
    con.close()
    assert kind("/claims/claims.json?_size=0") == real


# ------------------------------------------------------------------------------ the gate on the boards

def test_boards_read_only_gated_claims(bundled_site_db):
    con = sqlite3.connect(bundled_site_db)
    for board in ("leaderboard_best", "leaderboard_speedups", "leaderboard_head_to_head"):
        leaked = con.execute(f"SELECT count(*) FROM {board} b JOIN claims c USING (claim_id) "
                             "WHERE c.excluded_by IS NOT NULL").fetchone()[0]
        assert leaked == 0, board
    excluded = dict(con.execute("SELECT excluded_by, count(*) FROM claims WHERE excluded_by IS NOT NULL "
                                "GROUP BY 1").fetchall())
    assert {"gate.trend.orders_of_magnitude", "gate.trend.growth", "gate.owned.compared_value"} <= set(excluded)
    # the examples: none of them is on a board
    for mention in ("seven orders of magnitude", "1000x", "9 billion fewer FLOPS", "89.4%"):
        rows = con.execute("SELECT excluded_by FROM claims WHERE mention = ?", [mention]).fetchall()
        assert rows and all(r[0] for r in rows), mention
    # "Node" / "ResNet"-style subjects are not top systems; no top factor above 1,000x
    assert con.execute("SELECT max(max_factor) FROM leaderboard_speedups_by_hardware").fetchone()[0] <= 1000
    con.close()


def test_speedup_board_flags_factors_over_1000x(bundled_site):
    rows = get_json(bundled_site, "/claims/leaderboard_speedups.json?_shape=array&_size=max")
    assert rows and [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    big = [r for r in rows if r["factor"] > 1000]
    assert big and all(r["flag"] for r in big)
    first_flagged = min(r["rank"] for r in big)
    assert all(r["flag"] is None for r in rows if r["rank"] < first_flagged)
    assert all(r["flag"] for r in rows if r["rank"] >= first_flagged)


def test_best_uses_the_best_end_of_a_range(bundled_site):
    rows = get_json(bundled_site, "/claims/leaderboard_best.json?_shape=array&system=INTELLECT-1&metric=mfu")
    assert rows and rows[0]["result"] == "36.2–41.4%" and rows[0]["score"] == 41.4


def test_values_are_written_as_people_write_them(bundled_site_db):
    con = sqlite3.connect(bundled_site_db)
    results = [r[0] for r in con.execute(
        "SELECT result FROM leaderboard_best UNION ALL SELECT result FROM leaderboard_speedups "
        "UNION ALL SELECT result FROM leaderboard_head_to_head")]
    con.close()
    assert results
    for text in results:
        assert not re.search(r"\d\.\d{5,}|\d{7,}|\\", text), text    # no 175000000000.0, no 8.300000001, no \%
    assert "4.3×" in results and "55.2%" in results


# ------------------------------------------------------------------------------ entities and papers

def test_system_page_lists_results_wins_and_losses(bundled_site):
    html = get(bundled_site, "/claims/systems/MegaScale").text
    assert "Results on the leaderboards" in html and "55.2%" in html and "12,288 × GPU" in html
    assert "Whom it beats" in html and 'href="/claims/compared_baselines/Megatron-LM"' in html
    vllm = get(bundled_site, "/claims/systems/vLLM").text  # vLLM appears as a system too
    assert "Who beats it" in vllm and "S-LoRA" in vllm
    row = get_json(bundled_site, "/claims/systems/S-LoRA.json?_shape=array")[0]
    assert "vLLM" in row["beats"].split(", ") and "PEFT" in row["beats"].split(", ")


def test_baseline_page_lists_who_beats_it(bundled_site):
    html = get(bundled_site, "/claims/compared_baselines/vLLM").text
    assert "Systems that claim to beat it" in html
    for system in ("S-LoRA", "LServe", "ScaleLLM"):
        assert f'href="/claims/systems/{system}"' in html, system
    row = get_json(bundled_site, "/claims/compared_baselines/vLLM.json?_shape=array")[0]
    assert row["named"] == 1 and row["n_systems"] >= 4


def test_hardware_page_lists_best_results(bundled_site):
    html = get(bundled_site, "/claims/hardware/A100").text
    assert "Best results on it" in html and "FlashAttention-2" in html and "72%" in html


def test_every_paper_has_a_url_and_its_page_lists_claims(bundled_site, bundled_site_db):
    con = sqlite3.connect(bundled_site_db)
    assert con.execute("SELECT count(*) FROM papers WHERE url IS NULL OR url = ''").fetchone()[0] == 0
    pid, url, year, links = con.execute(
        "SELECT paper_id, url, year, links FROM papers WHERE title LIKE 'MegaScale%'").fetchone()
    con.close()
    assert url.startswith("https://arxiv.org/search/?searchtype=title&query=MegaScale") and year == 2024
    html = get(bundled_site, f"/claims/papers/{pid}").text
    assert "Claims, with their sentences" in html and '<mark class="claim-mention">55.2%</mark>' in html
    assert 'class="paper-link"' in html


def test_latex_escapes_are_not_shown(bundled_site):
    rows = get_json(bundled_site, "/claims/claims.json?_shape=array&mention=72%5C%25")
    assert rows, "the corpus has a mention written 72\\%"
    html = get(bundled_site, f"/claims/claims/{rows[0]['claim_id']}").text
    assert '<mark class="claim-mention">72%</mark>' in html and "72\\%" not in html


# ------------------------------------------------------------------------------ metadata coverage

def test_every_table_and_column_is_described(bundled_site_db):
    con = sqlite3.connect(bundled_site_db)
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts%' "
        "AND name NOT LIKE 'sqlite_%'")]
    for table in tables:
        meta = DB["tables"].get(table)
        assert meta and meta.get("description"), f"table {table} has no description"
        columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        missing = [c for c in columns if not meta.get("columns", {}).get(c)]
        assert not missing, f"{table}: undescribed columns {missing}"
    con.close()
    assert META["title"] and META["license"] and META["source"] and META["description_html"]


def test_every_declared_unit_is_known_to_datasettes_pint(bundled_site):
    from datasette.views.base import ureg

    declared = [(t, c, u) for t, m in DB["tables"].items() for c, u in (m.get("units") or {}).items()]
    assert declared
    for table, column, unit in declared:
        ureg(unit)  # raises UndefinedUnitError for an unknown unit
        r = get(bundled_site, f"/claims/{table}?_sort_desc={column}")
        assert r.status_code == 200, (table, column, unit)


@pytest.mark.parametrize("table", sorted(DB["tables"]))
def test_every_table_page_renders(bundled_site, table):
    r = get(bundled_site, f"/claims/{table}")
    assert r.status_code == 200, r.text[:500]


def test_front_page_links_answer(bundled_site):
    r = get(bundled_site, "/")
    assert r.status_code == 200
    links = re.findall(r'href="(/[^"]+)"', META["description_html"])
    assert len(links) >= 6
    for link in links:
        assert get(bundled_site, unescape(link)).status_code == 200, link
        assert unescape(link).split("?")[0] in unescape(r.text)


def test_dashboard_and_its_chart_queries(bundled_site):
    assert get(bundled_site, "/-/dashboards/claims-overview").status_code == 200
    dash = META["plugins"]["datasette-dashboards"]["claims-overview"]
    for name, chart in dash["charts"].items():
        for hardware in ("", "GPU"):
            sql = re.sub(r"\[\[(.*?)\]\]", r"\1" if hardware else "", chart["query"])
            rows = get_json(bundled_site, "/claims.json?" + urlencode(
                {"sql": sql, "hardware": hardware, "_shape": "array"}))
            assert rows, (name, hardware)


# ------------------------------------------------------------------------------ claim page, escaping

def test_claim_page_highlights_the_mention(bundled_site):
    claim = get_json(bundled_site, "/claims/claims.json?_shape=array&system=MegaScale&mention=55.2%25")[0]
    html = get(bundled_site, f"/claims/claims/{claim['claim_id']}").text
    assert '<mark class="claim-mention">55.2%</mark> Model FLOPs Utilization' in html
    table = get(bundled_site, "/claims/claims?system=MegaScale").text
    assert '<mark class="claim-mention">55.2%</mark>' in table


def test_html_in_abstracts_renders_as_text(mini_site):
    claim = get_json(mini_site, "/claims/claims.json?_shape=array&system=XSSNet")[0]
    pages = [
        f"/claims/claims/{claim['claim_id']}",
        "/claims/claims?system=XSSNet",
        f"/claims/papers/{claim['paper_id']}",
        "/claims/papers",
        "/claims/sentences",
        "/claims/leaderboard_head_to_head",
        "/claims/claims_for_paper?title=markup",
    ]
    for path in pages:
        html = get(mini_site, path).text
        assert "<script>alert(" not in html, path
        assert "<img src=x" not in html, path  # the onerror= attribute only ever appears escaped
    row_page = get(mini_site, pages[0]).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in row_page
    assert '<mark class="claim-mention">3.5x</mark>' in row_page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in row_page or \
           "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in row_page


def test_highlight_escapes_around_the_mark():
    from claims.datasette_plugins.claims_site import highlight

    out = str(highlight("<b>x</b> 2x <i>", "2x", 9, 11))
    assert out == '&lt;b&gt;x&lt;/b&gt; <mark class="claim-mention">2x</mark> &lt;i&gt;'
    assert str(highlight("a <b> b", "zz")) == "a &lt;b&gt; b"
    assert str(highlight("2x and 2x", "2x", 7, 9)) == '2x and <mark class="claim-mention">2x</mark>'
    assert str(highlight("2x and 2x", "2x", 5, 9)) == '<mark class="claim-mention">2x</mark> and 2x'  # bad offsets
