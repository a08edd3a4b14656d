-- claims DuckDB schema. Loaded by claims/store.py into a fresh database on every build.
-- Rows arrive in bulk from Arrow tables (never row by row). Offsets are character offsets
-- into papers.abstract (Python str indices).

CREATE TABLE papers (
    paper_id      VARCHAR PRIMARY KEY,   -- sha1(lower, whitespace-collapsed title)[:12], or as given in JSONL
    title         VARCHAR NOT NULL,
    abstract      VARCHAR NOT NULL,
    url           VARCHAR,               -- paper page if the source gave one
    code_url      VARCHAR,               -- first URL found in the abstract
    published     VARCHAR,               -- date as written by the source
    authors       INTEGER,               -- author count
    upvotes       INTEGER,
    organization  VARCHAR
);

-- Which input files (pages) each paper came from: a paper on three pages has three rows.
CREATE TABLE paper_sources (
    paper_id      VARCHAR NOT NULL REFERENCES papers (paper_id),
    source        VARCHAR NOT NULL,      -- file name of the page / JSONL file
    source_line   INTEGER,               -- 1-based line of the title or JSONL record
    PRIMARY KEY (paper_id, source)
);

-- sentences and claims have no PRIMARY KEY / REFERENCES: DuckDB keeps those as ART indexes in
-- memory and updates them on every insert (at 1M abstracts, 9M sentences: most of the build's
-- memory and insert time). The keys hold by construction (papers are deduplicated before
-- extraction, sentence_index counts within a paper); `claims build` checks that claim_id is
-- unique, and the SQLite snapshot (`claims publish`) declares all of them.
CREATE TABLE sentences (
    paper_id       VARCHAR NOT NULL,     -- papers.paper_id; (paper_id, sentence_index) is unique
    sentence_index INTEGER NOT NULL,
    span_start     INTEGER NOT NULL,
    span_end       INTEGER NOT NULL,
    text           VARCHAR NOT NULL,
    section        VARCHAR,              -- abstract, introduction, evaluation, conclusion, caption, table (claims/fulltext.py)
    page           INTEGER               -- 1-based PDF page; NULL for other inputs
);

CREATE TABLE claims (
    claim_id       VARCHAR NOT NULL,     -- unique: sha1(paper_id|span_start|span_end|mention)[:16], stable across rebuilds
    paper_id       VARCHAR NOT NULL,     -- papers.paper_id
    sentence_index INTEGER NOT NULL,
    span_start     INTEGER NOT NULL,
    span_end       INTEGER NOT NULL,
    mention        VARCHAR NOT NULL,
    value          DOUBLE NOT NULL,
    value_high     DOUBLE,
    unit           VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL CHECK (kind IN ('ratio', 'change', 'absolute', 'scale')),
    metric         VARCHAR,
    direction      VARCHAR CHECK (direction IN ('up', 'down')),
    qualifier      VARCHAR CHECK (qualifier IN ('up to', 'over', 'about', 'average')),
    baseline       VARCHAR,
    system         VARCHAR,
    hardware       VARCHAR,
    hardware_count BIGINT,
    model          VARCHAR,
    value_base     DOUBLE,               -- value in pint base units
    unit_base      VARCHAR,
    rule_id        VARCHAR NOT NULL,
    rules_version  VARCHAR NOT NULL,
    excluded_by    VARCHAR               -- id of the rules/gate.yml rule that keeps it off the leaderboards; NULL: on them
);

-- Rule vocabularies, loaded from rules/ at build time so SQL can join on them.
CREATE TABLE metrics (
    metric            VARCHAR PRIMARY KEY,
    kind              VARCHAR NOT NULL,   -- 'result' or 'scale'
    higher_is_better  BOOLEAN,            -- NULL when neither (e.g. 'other')
    description       VARCHAR
);

CREATE TABLE units (
    unit        VARCHAR PRIMARY KEY,      -- canonical unit string of the spec ('x', '%', 'TFLOP/s', ...)
    dimension   VARCHAR NOT NULL,
    unit_base   VARCHAR NOT NULL,
    factor      DOUBLE NOT NULL,          -- value * factor = value in unit_base
    description VARCHAR
);

CREATE TABLE hardware (
    hardware    VARCHAR PRIMARY KEY,      -- canonical short name ('H100', 'TPU v4', 'Frontier')
    category    VARCHAR NOT NULL,         -- gpu, tpu, cpu, npu, supercomputer, accelerator
    vendor      VARCHAR
);

-- Canonical baseline names: 'state-of-the-art vLLM' and 'vLLM' both map to 'vLLM'.
CREATE TABLE baselines (
    alias       VARCHAR PRIMARY KEY,      -- lower-cased surface form
    canonical   VARCHAR NOT NULL
);

-- The baselines each claim names, one row per canonical name (claims.baseline keeps the phrase):
-- "HuggingFace PEFT and vLLM" gives (PEFT, 'HuggingFace PEFT', 0) and (vLLM, 'vLLM', 1), so every
-- claim against vLLM is found by `baseline = 'vLLM'`. Rules: rules/baselines.yml (aliases, names).
CREATE TABLE claim_baselines (
    claim_id    VARCHAR NOT NULL,         -- claims.claim_id
    baseline    VARCHAR NOT NULL,         -- canonical name
    mention     VARCHAR NOT NULL,         -- the name as written in the baseline phrase
    position    INTEGER NOT NULL          -- 0-based order in the phrase
);

-- Leaderboard flags of rules/gate.yml (`flags:`): a claim of this kind and unit above min_value stays
-- on its board, marked with `label`, and is ranked after the unmarked ones.
CREATE TABLE gate_flags (
    flag        VARCHAR NOT NULL,         -- rule id
    kind        VARCHAR,                  -- NULL: any kind
    unit        VARCHAR,                  -- NULL: any unit
    min_value   DOUBLE NOT NULL,
    label       VARCHAR NOT NULL
);

-- Recoverable input and extraction problems (skipped records, regex timeouts, ...).
CREATE TABLE problems (
    source      VARCHAR NOT NULL,
    line        INTEGER,
    paper_id    VARCHAR,
    problem     VARCHAR NOT NULL,         -- short code: malformed_json, missing_title, regex_timeout, ...
    message     VARCHAR NOT NULL
);

CREATE TABLE build_info (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- The hardware catalogue (rules/hardware_specs.yml): one row per device, variant and figure
-- (a peak per precision, memory, bandwidth, TDP), each with its source.
CREATE TABLE hardware_specs (
    hardware    VARCHAR NOT NULL,         -- canonical name of rules/hardware.yml
    variant     VARCHAR NOT NULL,         -- 'SXM4 80GB', 'PCIe 80GB', 'chip', ...
    is_default  BOOLEAN NOT NULL,         -- the variant implied utilization divides by
    vendor      VARCHAR,
    year        INTEGER,
    figure      VARCHAR NOT NULL,         -- peak | memory | bandwidth | tdp
    precision   VARCHAR,                  -- peaks: fp64, fp32, tf32, bf16, fp16, fp8, int8, fp4 (dense)
    value       DOUBLE NOT NULL,          -- as written, in `unit`
    unit        VARCHAR NOT NULL,
    value_base  DOUBLE NOT NULL,          -- in unit_base
    unit_base   VARCHAR NOT NULL,         -- FLOP/s, B, B/s, W
    low         DOUBLE,                   -- uncertain figures: the lowest credible value, base units
    uncertain   BOOLEAN NOT NULL,         -- sources disagree (see note)
    note        VARCHAR,
    source      VARCHAR NOT NULL,         -- URL of the datasheet / Epoch AI data set
    entry_id    VARCHAR NOT NULL          -- spec.* id in rules/hardware_specs.yml
);

-- Physics checks (rules/checks.yml): one row per claim and check that fired.
CREATE TABLE checks (
    claim_id            VARCHAR NOT NULL, -- claims.claim_id
    check_id            VARCHAR NOT NULL, -- check.* id in rules/checks.yml
    severity            VARCHAR NOT NULL CHECK (severity IN ('impossible', 'unusual', 'info')),
    explanation         VARCHAR NOT NULL, -- the arithmetic in words
    implied_utilization DOUBLE,           -- fraction of the device's dense BF16/FP16 peak, where computable
    figures             VARCHAR           -- JSON: the figures the check computed with
);
