"""`claims serve` for real: a Datasette subprocess on a free port, queried over HTTP."""
from __future__ import annotations

import httpx


def test_serve_answers_over_http(site_server):
    with httpx.Client(base_url=site_server, timeout=10) as http:
        versions = http.get("/-/versions.json").json()
        assert versions["datasette"]["version"].startswith("0.65")
        settings = http.get("/-/settings.json").json()
        assert settings["suggest_facets"] is False
        assert settings["facet_time_limit_ms"] == 1000 and settings["sql_time_limit_ms"] == 1000
        dbs = http.get("/-/databases.json").json()
        assert [(d["name"], d["is_mutable"]) for d in dbs] == [("claims", False)]  # served with -i
        assert "claims_site.py" in {p["name"] for p in http.get("/-/plugins.json").json()}

        rows = http.get("/claims/best_for_metric.json", params={"metric": "mfu", "_shape": "array"}).json()
        assert any(r["system"] == "MegaScale" and r["result"] == "55.2%" for r in rows)
        # JSON and CSV of a leaderboard keep every column, the HTML hides the plumbing
        csv = http.get("/claims/leaderboard_best.csv", params={"board": "mfu (%)"})
        assert csv.status_code == 200 and "score" in csv.text.splitlines()[0] and "MegaScale" in csv.text
        page = http.get("/claims/claims", params={"system": "MegaScale", "metric": "mfu"})
        assert page.status_code == 200 and '<mark class="claim-mention">55.2%</mark>' in page.text
        # read-only: writes are refused by SQLite itself
        write = http.get("/claims.json", params={"sql": "delete from claims"})
        assert write.status_code == 400
