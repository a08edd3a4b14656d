"""The published site in-process (datasette.client): canned queries, leaderboards, facets, units,
metadata coverage, the claim page highlight and HTML escaping."""
from __future__ import annotations

import asyncio
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
    assert mega and mega[0]["value"] == 55.2 and mega[0]["unit"] == "%"
    assert mega[0]["hardware"] == "GPU" and mega[0]["hardware_count"] == 12288
    assert all(r["unit"] == "%" for r in rows)
    values = [r["value"] for r in rows]
    assert values == sorted(values, reverse=True)


def test_best_for_metric_filters_on_hardware(bundled_site):
    rows = canned(bundled_site, "best_for_metric", metric="mfu", hardware="GPU")
    assert rows and {r["hardware"] for r in rows} == {"GPU"}
    assert canned(bundled_site, "best_for_metric", metric="mfu", hardware="no-such-chip") == []


def test_beats_vllm(bundled_site):
    rows = canned(bundled_site, "beats", baseline="vLLM")
    assert len(rows) >= 3
    assert {r["baseline_canonical"] for r in rows} == {"vLLM"}
    assert len({r["baseline"] for r in rows}) > 1, "aliases like 'state-of-the-art ... vLLM' group together"
    assert canned(bundled_site, "beats", baseline="vllm") == rows  # case-insensitive


def test_speedups_by_hardware(bundled_site):
    board = get_json(bundled_site, "/claims/leaderboard_speedups_by_hardware.json?_shape=array&hardware=GPU")[0]
    rows = canned(bundled_site, "speedups_by_hardware", hardware="GPU")
    assert len(rows) == min(board["n_claims"], 50)
    assert {r["hardware"] for r in rows} == {"GPU"}
    factors = [r["value"] for r in rows if r["unit"] == "x"]
    assert factors and factors[0] == board["max_factor"]


def test_claims_for_paper(bundled_site):
    rows = canned(bundled_site, "claims_for_paper", title="MegaScale")
    mentions = {r["mention"] for r in rows}
    assert {"55.2%", "1.34x"} <= mentions
    assert all(r["title"].startswith("MegaScale") for r in rows)
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
    assert set(data["facet_results"]) == {"metric", "kind", "hardware", "unit", "qualifier"}
    assert not data.get("facets_timed_out")


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
