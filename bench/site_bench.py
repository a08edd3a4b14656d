"""Speed benchmark of the published site on a synthetic database.

Generates a claims DuckDB (db/schema.sql) of N claims over N/10 papers directly in SQL (no
extractor), publishes it with `claims.publish.publish` (timed), serves it with
`claims.publish.serve` on 127.0.0.1 and times leaderboard pages, a facet page, the claims table
page, each canned query and each dashboard chart query over HTTP (median of several runs).

    python bench/site_bench.py                       # 1,000,000 claims, 100,000 papers, in /tmp
    python bench/site_bench.py --claims 100000 --runs 5 --workdir /tmp/claims-bench

Targets (issues 4 and 14): leaderboard, entity (system, baseline, hardware, paper) pages and
canned queries < 100 ms median; claims table page < 300 ms; publish of 1M claims < 30 s. Exit
status 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SENTENCES_PER_PAPER = 6

VOCAB = """
INSERT INTO metrics VALUES
  ('mfu', 'result', true, 'model FLOPs utilization'), ('throughput', 'result', true, 'throughput'),
  ('latency', 'result', false, 'latency'), ('speed', 'result', true, 'generic speed'),
  ('memory', 'result', false, 'memory'), ('cost', 'result', false, 'cost'),
  ('accuracy', 'result', true, 'accuracy'), ('utilization', 'result', true, 'utilization'),
  ('flops', 'result', true, 'achieved FLOP/s'), ('hardware_count', 'scale', NULL, 'accelerators'),
  ('model_size', 'scale', NULL, 'parameters'), ('data_size', 'scale', NULL, 'tokens'),
  ('context_length', 'scale', NULL, 'context');
INSERT INTO units VALUES
  ('x', 'ratio', 'dimensionless', 1, 'factor'), ('%', 'ratio', 'dimensionless', 0.01, 'percent'),
  ('tokens/s', 'rate', 'tokens/s', 1, 'tokens per second'), ('ms', 'time', 's', 0.001, 'ms'),
  ('TFLOP/s', 'flops', 'FLOP/s', 1e12, 'TFLOP/s'), ('GPU', 'count', 'GPU', 1, 'GPUs'),
  ('parameters', 'count', 'parameters', 1, 'parameters'), ('tokens', 'count', 'tokens', 1, 'tokens');
INSERT INTO hardware VALUES
  ('GPU', 'gpu', NULL), ('H100', 'gpu', 'NVIDIA'), ('A100', 'gpu', 'NVIDIA'), ('V100', 'gpu', 'NVIDIA'),
  ('H800', 'gpu', 'NVIDIA'), ('A800', 'gpu', 'NVIDIA'), ('RTX 4090', 'gpu', 'NVIDIA'),
  ('TPU v4', 'tpu', 'Google'), ('TPU v5p', 'tpu', 'Google'), ('MI250X', 'gpu', 'AMD'),
  ('Gaudi2', 'accelerator', 'Intel'), ('CPU', 'cpu', NULL);
INSERT INTO baselines VALUES
  ('vllm', 'vLLM'), ('megatron-lm', 'Megatron-LM'), ('megatron', 'Megatron-LM'),
  ('deepspeed', 'DeepSpeed'), ('pytorch', 'PyTorch'), ('fastertransformer', 'FasterTransformer'),
  ('zero-3', 'ZeRO'), ('zero', 'ZeRO'), ('flashattention-2', 'FlashAttention-2');
INSERT INTO build_info VALUES ('claims_version', 'bench'), ('rules_version', 'bench');
"""

# One row per claim: paper i, claim k (0..9), sentence k % 6. Pseudo-random choices come from
# hash(i, k, salt) so the database is the same on every run.
CLAIMS_RAW = """
CREATE TEMP TABLE raw AS
WITH base AS (
    SELECT i, k, k % {spp} AS s,
           (hash(i, k, 'kind') % 100)::BIGINT AS r_kind, (hash(i, k, 'metric') % 6)::BIGINT AS r_metric,
           (hash(i, k, 'hw') % 24)::BIGINT AS r_hw, (hash(i, k, 'bl') % 16)::BIGINT AS r_bl, (hash(i, k, 'q') % 10)::BIGINT AS r_q,
           (hash(i, k, 'v') % 10000) / 10000.0 AS u
    FROM range({papers}) t(i), range({per_paper}) c(k)
), typed AS (
    SELECT *,
        CASE WHEN r_kind < 30 THEN 'ratio' WHEN r_kind < 45 THEN 'change'
             WHEN r_kind < 75 THEN 'absolute' ELSE 'scale' END AS kind
    FROM base
), valued AS (
    SELECT *,
        CASE kind
          WHEN 'ratio' THEN ['throughput', 'latency', 'speed', 'memory', 'mfu', 'cost'][r_metric + 1]
          WHEN 'change' THEN ['throughput', 'latency', 'speed', 'memory', 'cost', 'accuracy'][r_metric + 1]
          WHEN 'absolute' THEN ['mfu', 'throughput', 'accuracy', 'latency', 'utilization', 'flops'][r_metric + 1]
          ELSE ['hardware_count', 'model_size', 'data_size', 'context_length', 'hardware_count', 'model_size'][r_metric + 1]
        END AS metric
    FROM typed
)
SELECT
    i, k, s, kind, metric,
    CASE WHEN kind = 'ratio' THEN 'x' WHEN kind = 'change' THEN '%'
         WHEN metric IN ('mfu', 'accuracy', 'utilization') THEN '%'
         WHEN metric = 'throughput' THEN 'tokens/s' WHEN metric = 'latency' THEN 'ms'
         WHEN metric = 'flops' THEN 'TFLOP/s' WHEN metric = 'hardware_count' THEN 'GPU'
         WHEN metric = 'model_size' THEN 'parameters' ELSE 'tokens' END AS unit,
    round(CASE WHEN kind = 'ratio' THEN 1 + 20 * u * u WHEN kind = 'change' THEN 1 + 90 * u
               WHEN metric IN ('mfu', 'accuracy', 'utilization') THEN 20 + 75 * u
               WHEN metric = 'throughput' THEN 100 + 50000 * u WHEN metric = 'latency' THEN 1 + 500 * u
               WHEN metric = 'flops' THEN 10 + 900 * u
               WHEN metric = 'hardware_count' THEN floor(8 + 16384 * u * u)
               WHEN metric = 'model_size' THEN floor(1 + 500 * u) * 1e9
               WHEN metric = 'data_size' THEN floor(1 + 15 * u) * 1e12
               ELSE floor(4 + 1000 * u) * 1024 END, 2) AS value,
    CASE WHEN r_hw < 12 THEN NULL
         ELSE ['GPU', 'H100', 'A100', 'V100', 'H800', 'A800', 'RTX 4090', 'TPU v4', 'TPU v5p',
               'MI250X', 'Gaudi2', 'CPU'][r_hw - 11] END AS hardware,
    CASE WHEN kind IN ('ratio', 'change') AND r_bl < 10
         THEN ['vLLM', 'Megatron-LM', 'DeepSpeed', 'state-of-the-art vLLM', 'PyTorch',
               'FasterTransformer', 'the dense baseline', 'ZeRO-3', 'prior work', 'FlashAttention-2'][r_bl + 1]
         END AS baseline,
    CASE WHEN kind IN ('ratio', 'change') THEN
         CASE WHEN metric IN ('latency', 'memory', 'cost') THEN 'down' ELSE 'up' END END AS direction,
    CASE r_q WHEN 0 THEN 'up to' WHEN 1 THEN 'over' WHEN 2 THEN 'about' WHEN 3 THEN 'average' END AS qualifier,
    'Sys' || (i % 20000) AS system
FROM valued
"""

BUILD = """
CREATE TEMP TABLE phrased AS
SELECT *,
    CASE WHEN unit = 'x' THEN value || 'x' WHEN unit = '%' THEN value || '%'
         ELSE value || ' ' || unit END AS mention,
    system || ' reports ' AS lead
FROM raw;
CREATE TEMP TABLE placed AS
SELECT *,
    coalesce(sum(length(lead) + length(mention) + length(' ' || metric) + 2)
        OVER (PARTITION BY i, s ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
        + length(lead) AS mention_offset
FROM phrased;
CREATE TEMP TABLE sent AS
SELECT i, s, string_agg(lead || mention || ' ' || metric, ', ' ORDER BY k) || '.' AS text
FROM placed GROUP BY i, s;
CREATE TEMP TABLE sent_pos AS
SELECT *, coalesce(sum(length(text) + 1) OVER (PARTITION BY i ORDER BY s
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS span_start
FROM sent;
INSERT INTO papers
SELECT 'p' || lpad(i::VARCHAR, 11, '0'),
       'Sys' || (i % 20000) || ': synthetic paper number ' || i || ' on efficient LLM systems',
       string_agg(text, ' ' ORDER BY s), NULL, NULL, '2024-01-01', 5, (i % 300)::INTEGER, 'Bench Lab'
FROM sent_pos GROUP BY i;
INSERT INTO paper_sources SELECT paper_id, 'bench.jsonl', 1 FROM papers;
INSERT INTO sentences
SELECT 'p' || lpad(i::VARCHAR, 11, '0'), s, span_start, span_start + length(text), text, 'abstract', NULL FROM sent_pos;
INSERT INTO claims
SELECT substr(sha256('p' || i || '|' || k), 1, 16), 'p' || lpad(p.i::VARCHAR, 11, '0'), p.s,
       sp.span_start + mention_offset, sp.span_start + mention_offset + length(mention), mention,
       value, NULL, unit, kind, metric, direction, qualifier, baseline, system, hardware,
       CASE WHEN hardware IS NOT NULL AND kind = 'absolute' THEN 8 END, NULL,
       NULL, NULL, 'bench.' || kind, 'bench',
       CASE WHEN k = 9 THEN 'gate.bench.excluded' END    -- one claim in ten kept off the boards
FROM placed p JOIN sent_pos sp USING (i, s);
"""


def generate(db_path: Path, n_claims: int) -> float:
    import duckdb

    papers = max(1, n_claims // 10)
    started = time.perf_counter()
    db_path.unlink(missing_ok=True)
    con = duckdb.connect(str(db_path))
    con.execute((REPO / "db" / "schema.sql").read_text())
    con.execute(VOCAB)
    con.execute(CLAIMS_RAW.format(papers=papers, per_paper=10, spp=SENTENCES_PER_PAPER))
    con.execute(BUILD)
    from claims.gate import flag_rows
    from claims.store import fill_claim_baselines

    fill_claim_baselines(con)     # as `claims build` does: baselines split and canonicalized
    for f in flag_rows():
        con.execute("INSERT INTO gate_flags VALUES (?, ?, ?, ?, ?)", list(f.values()))
    con.execute((REPO / "db" / "views.sql").read_text())
    counts = con.sql("SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM sentences), "
                     "(SELECT count(*) FROM claims)").fetchall()[0]
    con.close()
    print(f"generated {counts[0]:,} papers, {counts[1]:,} sentences, {counts[2]:,} claims "
          f"in {time.perf_counter() - started:.1f}s -> {db_path}")
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(site: Path, port: int) -> subprocess.Popen:
    code = ("import sys; from claims.publish import serve; "
            f"sys.exit(serve({str(site)!r}, host='127.0.0.1', port={port}))")
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(client, base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if client.get(base + "/-/versions.json").status_code == 200:
                return
        except Exception:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)  # our own session: serve() and its datasette child
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def pages() -> list[tuple[str, str, float]]:
    """(group, path, target seconds)."""
    import yaml

    meta = yaml.safe_load((REPO / "datasette-metadata.yml").read_text())
    lb, canned, table = 0.100, 0.100, 0.300
    out = [
        ("leaderboard", "/claims/leaderboard_best", lb),
        ("leaderboard", "/claims/leaderboard_best?board=mfu+%28%25%29", lb),
        ("leaderboard", "/claims/leaderboard_best?metric=mfu&hardware=H100", lb),
        ("leaderboard", "/claims/leaderboard_speedups", lb),
        ("leaderboard", "/claims/leaderboard_speedups?metric=throughput", lb),
        ("leaderboard", "/claims/leaderboard_speedups_by_hardware", lb),
        ("leaderboard", "/claims/leaderboard_head_to_head", lb),
        ("leaderboard", "/claims/leaderboard_head_to_head?baseline_canonical=vLLM&_sort_desc=factor", lb),
        ("leaderboard", "/claims/leaderboard_scale", lb),
        ("leaderboard", "/claims/leaderboard_scale?hardware_category=gpu&_sort_desc=max_hardware_count", lb),
        ("claims table", "/claims/claims", table),
        ("facet page", "/claims/claims?hardware=H100", table),
        ("facet page", "/claims/leaderboard_best?_facet=unit&metric=throughput", lb),
        ("search", "/claims/claims?_search=MFU+H100", table),
        ("claim page", None, lb),
        ("entity table", "/claims/systems", lb),
        ("entity table", "/claims/compared_baselines", lb),
        ("entity table", "/claims/hardware", lb),
        ("entity page", "/claims/systems/Sys42", lb),
        ("entity page", "/claims/compared_baselines/vLLM", lb),
        ("entity page", "/claims/hardware/H100", lb),
        ("entity page", "/claims/papers/p00000000042", lb),
    ]
    params = {
        "best_for_metric": {"metric": "mfu", "hardware": "H100"},
        "speedups_by_hardware": {"hardware": "H100"},
        "beats": {"baseline": "vLLM"},
        "claims_for_paper": {"title": "Sys42 synthetic"},
    }
    for name in meta["databases"]["claims"]["queries"]:
        q = urlencode(params.get(name, {}))
        out.append(("canned query", f"/claims/{name}?{q}", canned))
        out.append(("canned query", f"/claims/{name}.json?{q}", canned))
    charts = meta["plugins"]["datasette-dashboards"]["claims-overview"]["charts"]
    for name, chart in charts.items():
        sql = re.sub(r"\[\[.*?\]\]", "", chart["query"])
        out.append(("dashboard chart", f"/claims.json?{urlencode({'sql': sql, '_shape': 'array'})}#{name}", 0.300))
    out.append(("dashboard", "/-/dashboards/claims-overview", lb))
    return out


def time_pages(base: str, runs: int, client) -> list[tuple[str, str, float, float, int]]:
    claim_id = client.get(base + "/claims/leaderboard_best.json?_shape=array&_size=1").json()[0]["claim_id"]
    rows = []
    for group, path, target in pages():
        path = path or f"/claims/claims/{claim_id}"
        url = base + path.split("#")[0]
        status = client.get(url).status_code  # warm-up (page cache, query plans)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            r = client.get(url)
            times.append(time.perf_counter() - t)
            status = r.status_code
        rows.append((group, path, statistics.median(times), target, status))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/claims-bench"))
    ap.add_argument("--reuse", action="store_true", help="reuse an existing generated DuckDB")
    args = ap.parse_args(argv)

    import httpx

    from claims.publish import publish

    args.workdir.mkdir(parents=True, exist_ok=True)
    duck = args.workdir / f"bench-{args.claims}.duckdb"
    site = args.workdir / "claims.sqlite"
    if not (args.reuse and duck.exists()):
        generate(duck, args.claims)
    print(f"load average before publish: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    report = publish(duck, site)
    publish_target = 30.0 * args.claims / 1_000_000
    print(f"publish: {report.seconds:.1f}s wall, {report.cpu_seconds:.1f}s CPU (target < {publish_target:.0f}s) "
          f"{report.rows['claims']:,} claims, {report.bytes / 2**20:.0f} MiB; "
          + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()))
    failures = int(report.seconds >= publish_target)

    port = free_port()
    proc = start_server(site, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=30) as client:
            wait_ready(client, base, proc)
            rows = time_pages(base, args.runs, client)
    finally:
        stop_server(proc)
    print(f"\n{'group':<16} {'median ms':>9} {'target':>7} {'status':>6}  path")
    for group, path, median, target, status in rows:
        ok = status == 200 and median < target
        failures += not ok
        print(f"{group:<16} {median * 1000:9.1f} {target * 1000:7.0f} {status:>6}  {path[:110]}"
              f"{'' if ok else '  <-- MISSED'}")
    print(f"\nload average after the page timings: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{failures} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
