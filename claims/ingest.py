"""Ingest: turn input files into `Paper` records.

Supported inputs (chosen by file extension):

* Daily Papers listing pages (``.txt``, ``.md``): both layouts found in the bundled corpus, the
  blank-line separated one with author-count / date / upvote / organisation lines and the dense
  one with no blank lines. Page boilerplate ("Subscribe", "Get trending papers ...") is skipped.
* JSON Lines (``.jsonl``, ``.ndjson``, ``.json``): one object per line with ``title`` and
  ``abstract`` and optional ``paper_id``, ``url``, ``published``. arXiv metadata exports
  (``id``/``title``/``abstract``/``authors``/``update_date``) are read too. A ``.json`` file
  holding one JSON array is accepted.
* arXiv API Atom feeds (``.xml``, ``.atom``).
* Parquet shards (``.parquet``) with ``title`` and ``abstract`` columns.

Unreadable inputs raise `InputError` (one line naming the file and what to do). Bad records
inside a readable file are skipped and reported as `Problem`s, which `claims build` stores in
the ``problems`` table: any exception while reading one record becomes a problem with its file
and line, never the end of the build. Titles longer than MAX_TITLE_CHARS are cut (a problem) in
every format. A record's source is its file's path relative to the inputs' common folder
(`source_names`): the file name for one file, ``a/x.jsonl`` and ``b/x.jsonl`` for two.
"""
from __future__ import annotations

import codecs
import datetime
import io
import itertools
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

from . import fulltext
from . import sources as readers
from .errors import InputError
from .models import Paper, paper_id_for

PAGE_SUFFIXES = {".txt", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
ATOM_SUFFIXES = {".xml", ".atom"}
PARQUET_SUFFIXES = {".parquet"}
SUPPORTED = PAGE_SUFFIXES | JSONL_SUFFIXES | ATOM_SUFFIXES | PARQUET_SUFFIXES | fulltext.SUFFIXES

MAX_ABSTRACT_CHARS = 2_000_000   # longer documents are skipped as counted problems (cost per char is bounded: bench/cost_per_char.py)
MAX_TITLE_CHARS = 500


@dataclass(frozen=True)
class Problem:
    """A recoverable problem with one record: the record is skipped or kept, and reported."""

    source: str
    line: int | None
    problem: str        # short code
    message: str
    paper_id: str | None = None


class Problems(list):
    """The problems found so far; passed through the stages and stored at the end."""

    def add(self, source, line, problem, message, paper_id=None):
        self.append(Problem(str(source), line, problem, message, paper_id))


def bundled_corpus() -> list[Path]:
    """The five Daily Papers pages shipped inside the package."""
    root = resources.files("claims") / "corpus"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".txt"))


def expand_sources(sources: Iterable[str | os.PathLike] | None) -> list[Path]:
    """Check every input path up front (so a typo fails before any work) and expand folders."""
    if not sources:
        return bundled_corpus()
    out: list[Path] = []
    for raw in sources:
        path = Path(raw)
        if not path.exists():
            raise InputError(path, "no such file or directory; check the path")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and readers.input_suffix(p) in SUPPORTED)
            if not found:
                raise InputError(path, f"directory has no input files ({', '.join(sorted(SUPPORTED))})")
            out.extend(found)
            continue
        if not path.is_file():    # a FIFO, socket or device would block or fail mid-build
            raise InputError(path, "not a regular file (a pipe, socket or device?); give a file or a folder")
        if readers.input_suffix(path) not in SUPPORTED:
            raise InputError(
                path, f"unknown file type '{path.suffix or '(none)'}'; use one of {', '.join(sorted(SUPPORTED))}"
                      f" (optionally compressed: {', '.join(readers.COMPRESSIONS)})"
            )
        if not os.access(path, os.R_OK):
            raise InputError(path, "permission denied; make the file readable (chmod +r)")
        out.append(path)
    return out


def source_names(paths: Iterable[Path]) -> dict[Path, str]:
    """The name each input is stored under: its path relative to the folder holding all the
    inputs (one file: its name), so that two files of the same name in two folders stay apart."""
    paths = list(paths)
    if not paths:
        return {}
    parents = [os.path.abspath(p.parent) for p in paths]
    root = os.path.commonpath(parents)
    return {p: Path(os.path.relpath(os.path.abspath(p), root)).as_posix() for p in paths}


def iter_papers(paths: Iterable[Path], problems: Problems,
                select: "readers.Selection | None" = None) -> Iterator[Paper]:
    """Every paper record of every input, in input order, not yet deduplicated (with `select`,
    only the JSON records in its categories)."""
    paths = list(paths)
    names = source_names(paths)
    for path in paths:
        suffix = readers.input_suffix(path)
        name = names[path]
        if suffix in PARQUET_SUFFIXES:
            yield from _read_parquet(path, problems, name)
            continue
        if suffix in JSONL_SUFFIXES:   # streamed line by line: a multi-GB dump is never held whole
            lines = iter_lines(path, problems, name)
            yield from parse_jsonl(select.lines(lines, name) if select else lines, name, problems)
            continue
        if suffix in fulltext.SUFFIXES:   # PDF, LaTeX, arXiv source tarball: one paper per file
            yield from fulltext.read_fulltext(path, suffix, problems)
            continue
        text = read_text(path, problems, name)
        if suffix in PAGE_SUFFIXES:
            yield from parse_page(text, name, problems)
        else:
            yield from parse_atom(text, name, problems)


class Deduper:
    """Merge papers that appear on several pages (same normalized title or same paper_id).

    Streaming: `add()` says whether a paper is new, so the caller can process it at once.
    Later copies add a (source, line) row and may fill metadata the first copy lacked.

    Two ways to keep the bookkeeping:

    * default (`dedupe()`, `claims extract`, tests): `sources` holds one (paper_id, source, line)
      row per paper and source, first line kept, and `fills` the metadata to apply at the end;
      it keeps the metadata of every paper (a few hundred bytes each).
    * ``streaming=True`` (`claims build`): per paper only the dedupe keys are kept (about
      100 bytes). `sources` holds the listings not yet taken (`take_sources()`, may repeat a
      (paper, source) pair; the store keeps the first line of each pair) and `later` the
      metadata of later copies, which `resolve_fills()` turns into the same `fills` given the
      first copies' metadata. Memory then grows with the number of papers only by the keys.
    """

    META = ("url", "code_url", "published", "authors", "upvotes", "organization")

    def __init__(self, problems: Problems, known_ids: Iterable[str | tuple[str, str]] = (), *,
                 streaming: bool = False):
        """`known_ids`: the papers already in the database appended to, as paper ids or as
        (dedupe key, paper_id) pairs (each paper's id and its title key: `store.start_database`)."""
        self.problems = problems
        self.streaming = streaming
        self.first: dict[str, str] = dict(k if isinstance(k, tuple) else (k, k) for k in known_ids)
        self.sources: list[tuple[str, str, int | None]] = []      # (paper_id, source, line)
        self.fills: dict[str, dict] = {}
        self.later: list[tuple[str, tuple]] = []                   # streaming: (kept id, META values)
        self.listings = 0                                          # streaming: listings seen so far
        self._known = set(self.first.values()) if streaming else set()   # ids of the database appended to
        self._meta: dict[str, tuple] = {}
        self._seen_sources: set[tuple[str, str]] = set()

    def add(self, paper: Paper) -> bool:
        key_title = paper_id_for(paper.title)
        kept = self.first.get(paper.paper_id) or self.first.get(key_title)
        if kept is None:
            self.first[paper.paper_id] = self.first[key_title] = paper.paper_id
            if not self.streaming:
                self._meta[paper.paper_id] = tuple(getattr(paper, f) for f in self.META)
            self._add_source(paper.paper_id, paper)
            return True
        if kept == paper.paper_id and self.first.get(key_title) != kept:
            self.problems.add(paper.source, paper.source_line, "duplicate_id",
                              f"paper_id {paper.paper_id!r} already used for another title; record skipped",
                              paper.paper_id)
            return False
        if self.streaming:
            if kept not in self._known:
                values = tuple(getattr(paper, f) for f in self.META)
                if any(v is not None for v in values):
                    self.later.append((kept, values))
            self._add_source(kept, paper)
            return False
        have = self._meta.get(kept)
        if have is not None:
            fill = {f: getattr(paper, f) for f, old in zip(self.META, have)
                    if old is None and getattr(paper, f) is not None}
            if fill:
                self.fills.setdefault(kept, {}).update(fill)
                self._meta[kept] = tuple(fill.get(f, old) for f, old in zip(self.META, have))
        self._add_source(kept, paper)
        return False

    def _add_source(self, paper_id: str, paper: Paper) -> None:
        if self.streaming:
            self.listings += 1
            self.sources.append((paper_id, paper.source, paper.source_line))
            return
        # one row per (paper, source): a paper listed twice on one page keeps its first line
        if (paper_id, paper.source) not in self._seen_sources:
            self._seen_sources.add((paper_id, paper.source))
            self.sources.append((paper_id, paper.source, paper.source_line))

    def take_sources(self) -> list[tuple[str, str, int | None]]:
        """Streaming: the listings added since the last call, in input order."""
        rows, self.sources = self.sources, []
        return rows

    def resolve_fills(self, first_meta: dict[str, tuple]) -> dict[str, dict]:
        """Streaming: `fills` from the later copies, given the META values of each first copy
        named in `later` (the same rule as the default mode: a later copy fills a field that is
        still empty, in input order)."""
        current = dict(first_meta)
        for kept, values in self.later:
            have = current[kept]
            fill = {f: v for f, old, v in zip(self.META, have, values) if old is None and v is not None}
            if fill:
                self.fills.setdefault(kept, {}).update(fill)
                current[kept] = tuple(fill.get(f, old) for f, old in zip(self.META, have))
        self.later = []
        return self.fills


def dedupe(papers: Iterable[Paper], problems: Problems) -> list[Paper]:
    """The distinct papers of `papers`, first occurrence first, metadata filled from later copies."""
    deduper = Deduper(problems)
    kept = [p for p in papers if deduper.add(p)]
    return [p.model_copy(update=deduper.fills[p.paper_id]) if p.paper_id in deduper.fills else p for p in kept]


# --------------------------------------------------------------------------- decoding

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def read_text(path: Path, problems: Problems, name: str | None = None) -> str:
    """Decode a text input: UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1 with a problem."""
    try:
        data = readers.read_bytes(path)
    except PermissionError:
        raise InputError(path, "permission denied; make the file readable (chmod +r)") from None
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc.strerror}); check the path") from None
    if not data.strip():
        raise InputError(path, "file is empty; give a Daily Papers page, JSONL or arXiv export")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(path, f"invalid {encoding} text at byte {exc.start}; re-save the file as UTF-8") from None
    if b"\x00" in data[:8192]:
        raise InputError(path, "binary file, not text; give a Daily Papers page, JSONL or arXiv export")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.add(name or path.name, line, "not_utf8",
                     "file is not UTF-8; decoded as Latin-1 (re-save as UTF-8 to silence this)")
        return data.decode("latin-1")


def iter_lines(path: Path, problems: Problems, name: str | None = None) -> Iterator[str]:
    """Decoded lines of a text input, read lazily, with the same checks as `read_text`."""
    try:
        fh = readers.open_binary(path)
    except PermissionError:
        raise InputError(path, "permission denied; make the file readable (chmod +r)") from None
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc.strerror}); check the path") from None
    try:                     # not `with fh`: a compressed stream is rewound by opening it again
        head = fh.read(8192)
        if not head.strip() and not fh.read(1):
            raise InputError(path, "file is empty; give a Daily Papers page, JSONL or arXiv export")
        fh = readers.rewind(fh, path)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            yield from io.TextIOWrapper(fh, encoding="utf-16", newline=None)
            return
        if b"\x00" in head:
            raise InputError(path, "binary file, not text; give a Daily Papers page, JSONL or arXiv export")
        if head.startswith(codecs.BOM_UTF8):
            fh.read(len(codecs.BOM_UTF8))
        warned = False
        for n, raw in enumerate(fh, 1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                if not warned:
                    problems.add(name or path.name, n, "not_utf8",
                                 "line is not UTF-8; decoded as Latin-1 (re-save as UTF-8 to silence this)")
                    warned = True
                yield raw.decode("latin-1")
    finally:
        fh.close()


# --------------------------------------------------------------------------- Daily Papers pages

_BOILERPLATE = re.compile(
    r"""^(?:new|subscribe|daily\ papers|by\ ?ak\ and\ the\ research\ community
          |get\ trending\ papers\ in\ your\ email\ inbox(?:\ once\ a\ day)?!?)$""",
    re.IGNORECASE | re.VERBOSE,
)
# "SubscribeFAX: Scalable ..." (dense layout glues the button text to the first title)
_GLUED_BOILERPLATE = re.compile(r"^Subscribe(?=[A-Z0-9])")
_AUTHORS = re.compile(r"^\s*•\s*(\d+)\s+authors?\s*$")
_DOT = re.compile(r"^\s*·\s*$")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DATE = re.compile(rf"^\s*({_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?)(?:\s+(\d+))?\s*$")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def _code_url(abstract: str) -> str | None:
    match = _URL.search(abstract)
    return match.group(0).rstrip(".,;:") if match else None


def parse_page(text: str, source: str, problems: Problems) -> Iterator[Paper]:
    """Parse one Daily Papers listing page (either layout) into papers."""
    lines = text.splitlines()
    # Pass 1: mark metadata lines. "·" separates (authors | organisation) from "date [upvotes]".
    meta: dict[int, dict] = {}     # index of the metadata group's first line -> fields
    skip: set[int] = set()
    for i, line in enumerate(lines):
        if not _DOT.match(line):
            continue
        skip.add(i)
        fields: dict = {}
        j = _prev_nonblank(lines, i)
        if j is not None:
            m = _AUTHORS.match(lines[j])
            if m:
                fields["authors"] = int(m.group(1))
            else:
                fields["organization"] = lines[j].strip()
            skip.add(j)
        k = _next_nonblank(lines, i)
        if k is not None:
            m = _DATE.match(lines[k])
            if m:
                fields["published"] = m.group(1)
                fields["upvotes"] = int(m.group(2)) if m.group(2) else None
                skip.add(k)
        meta[j if j is not None else i] = fields
    for i, line in enumerate(lines):
        if _AUTHORS.match(line):
            skip.add(i)
            meta.setdefault(i, {"authors": int(_AUTHORS.match(line).group(1))})

    # Pass 2: the remaining non-blank lines alternate title, abstract; metadata follows its paper.
    pending_title: tuple[int, str] | None = None
    last: dict | None = None
    papers: list[dict] = []
    seen_content = False
    for i, raw in enumerate(lines):
        if i in meta and last is not None:
            last.update({k: v for k, v in meta[i].items() if v is not None})
        if i in skip:
            continue
        line = _GLUED_BOILERPLATE.sub("", raw.strip())
        if not line or _BOILERPLATE.match(line):
            continue
        if not seen_content and _DATE.match(line):
            continue   # the page's own date, above the first paper
        seen_content = True
        if pending_title is None:
            if len(line) > MAX_TITLE_CHARS:
                problems.add(source, i + 1, "no_title", "paragraph without a title line; skipped")
                continue
            pending_title = (i + 1, line)
        else:
            title_line, title = pending_title
            pending_title = None
            last = {"title": title, "abstract": line, "source_line": title_line}
            papers.append(last)
    if pending_title is not None:
        problems.add(source, pending_title[0], "missing_abstract",
                     f"title {pending_title[1][:60]!r} has no abstract (page cut off?); skipped")
    if not papers:
        problems.add(source, None, "no_papers", "no papers found on this page; is it a Daily Papers listing?")
    for n, rec in enumerate(papers):
        abstract = rec["abstract"]
        if n == len(papers) - 1 and not abstract.rstrip().endswith((".", "!", "?", ")", '"')):
            problems.add(source, rec["source_line"], "truncated_abstract",
                         "last abstract on the page does not end a sentence (page cut off?); kept")
        paper = _make_paper(rec, source, problems)
        if paper is not None:
            yield paper


def _prev_nonblank(lines, i):
    for j in range(i - 1, max(i - 4, -1), -1):
        if lines[j].strip():
            return j
    return None


def _next_nonblank(lines, i):
    for k in range(i + 1, min(i + 4, len(lines))):
        if lines[k].strip():
            return k
    return None


def _valid_text(value, field: str, source: str, line, problems: Problems):
    """`value` with lone surrogates (a JSON "\\ud83d" without its pair) replaced by U+FFFD: they
    cannot be stored as UTF-8. A problem says so."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        problems.add(source, line, "invalid_text",
                     f"'{field}' has characters that are not valid Unicode (lone surrogates); replaced by U+FFFD")
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _make_paper(rec: dict, source: str, problems: Problems) -> Paper | None:
    line = rec.get("source_line")
    for key in ("title", "abstract", "paper_id", "url", "published", "organization"):
        if key in rec:
            rec[key] = _valid_text(rec[key], key, source, line, problems)
    title = " ".join(str(rec["title"]).split())
    abstract = str(rec["abstract"]).strip()
    if len(title) > MAX_TITLE_CHARS:    # every format: a title is copied into every claim row
        problems.add(source, line, "title_too_long",
                     f"title has {len(title):,} characters (limit {MAX_TITLE_CHARS}); cut to {MAX_TITLE_CHARS}")
        title = title[:MAX_TITLE_CHARS - 1].rstrip() + "…"
    if not title:
        problems.add(source, line, "missing_title", "record has an empty title; skipped")
        return None
    if not abstract:
        problems.add(source, line, "missing_abstract", "record has an empty abstract; skipped")
        return None
    if len(abstract) > MAX_ABSTRACT_CHARS:
        problems.add(source, line, "abstract_too_long",
                     f"abstract has {len(abstract):,} characters (limit {MAX_ABSTRACT_CHARS:,}); skipped")
        return None
    paper_id = rec.get("paper_id") or paper_id_for(title)
    return Paper(
        paper_id=str(paper_id), title=title, abstract=abstract,
        url=rec.get("url"), code_url=_code_url(abstract), published=rec.get("published"),
        authors=rec.get("authors"), upvotes=rec.get("upvotes"), organization=rec.get("organization"),
        source=source, source_line=line,
    )


# --------------------------------------------------------------------------- JSONL / arXiv

_OPTIONAL_STR = ("paper_id", "url", "published")


def _from_object(obj, source: str, line: int, problems: Problems) -> Paper | None:
    if not isinstance(obj, dict):
        problems.add(source, line, "wrong_type", f"expected a JSON object, got {type(obj).__name__}; skipped")
        return None
    rec = dict(obj)
    if "paper_id" not in rec and "id" in rec and "abstract" in rec:      # arXiv metadata export
        arxiv_id = rec["id"]
        if isinstance(arxiv_id, str) and arxiv_id.strip() and not any(c.isspace() for c in arxiv_id.strip()):
            readers.arxiv_fields(rec)      # url https://arxiv.org/abs/<id>, date of version 1
        elif arxiv_id is not None:
            problems.add(source, line, "bad_field", f"arXiv 'id' {str(arxiv_id)[:40]!r} is not an id; no url")
        rec.setdefault("published", rec.get("update_date"))
    if "abstract" not in rec and "summary" in rec:
        rec["abstract"] = rec["summary"]
    for field in ("title", "abstract"):
        if field not in rec or rec[field] is None:
            problems.add(source, line, f"missing_{field}", f"record has no '{field}'; skipped")
            return None
        if not isinstance(rec[field], str):
            problems.add(source, line, "wrong_type",
                         f"'{field}' must be a string, got {type(rec[field]).__name__}; skipped")
            return None
    for field in _OPTIONAL_STR:
        value = rec.get(field)
        if isinstance(value, (datetime.date, datetime.datetime)):   # a Parquet timestamp / date column
            value = rec[field] = value.isoformat()
        if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
            problems.add(source, line, "wrong_type",
                         f"'{field}' must be a string, got {type(value).__name__}; skipped")
            return None
        if value is not None:
            rec[field] = str(value)
    rec["source_line"] = line
    rec["authors"] = _count_authors(rec.get("authors"))
    for field in ("upvotes", "organization"):
        rec.pop(field, None)
    return _make_paper(rec, source, problems)


def _count_authors(authors) -> int | None:
    """A list of authors, or an arXiv export's string "A, B and C"."""
    if isinstance(authors, list):
        return len(authors)
    if isinstance(authors, str) and authors.strip():
        return len([a for a in authors.replace(" and ", ",").split(",") if a.strip()])
    return None


def _record(obj, source: str, line: int, problems: Problems) -> Paper | None:
    """`_from_object`, with any failure on this one record a problem (file and line), not an abort."""
    try:
        return _from_object(obj, source, line, problems)
    except Exception as exc:
        problems.add(source, line, "bad_record",
                     f"record could not be read ({type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:120]}); skipped")
        return None


def parse_jsonl(lines: str | Iterable[str], source: str, problems: Problems) -> Iterator[Paper]:
    """JSON Lines (or one JSON array), from a string or an iterable of lines.
    Malformed lines are skipped and reported."""
    lines = iter(lines.splitlines() if isinstance(lines, str) else lines)
    first: list[str] = []
    for line in lines:            # a leading "[" means one JSON array: read it whole
        if line.strip():
            first.append(line)
            break
        first.append(line)
    if first and first[-1].lstrip().startswith("["):
        text = "".join(first) + "".join(lines) if first[-1].endswith("\n") else "\n".join([*first, *lines])
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(source, f"invalid JSON array ({exc.msg})", line=exc.lineno) from None
        except RecursionError:
            raise InputError(source, "JSON nested too deeply to read; flatten the file") from None
        for n, obj in enumerate(items, 1):
            paper = _record(obj, source, n, problems)
            if paper is not None:
                yield paper
        return
    found = 0
    for n, line in enumerate(itertools.chain(first, lines), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.add(source, n, "malformed_json", f"not valid JSON ({exc.msg} at column {exc.colno}); skipped")
            continue
        except RecursionError:
            problems.add(source, n, "malformed_json", "JSON nested too deeply to read; skipped")
            continue
        found += 1
        paper = _record(obj, source, n, problems)
        if paper is not None:
            yield paper
    if not found:
        problems.add(source, None, "no_papers", "no JSON records in this file")


_ATOM = "{http://www.w3.org/2005/Atom}"


def parse_atom(text: str, source: str, problems: Problems) -> Iterator[Paper]:
    """arXiv API Atom feed: one paper per <entry>."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(source, f"invalid XML ({exc}); give an arXiv Atom export", line=exc.position[0]) from None
    entries = root.findall(f"{_ATOM}entry")
    if not entries:
        problems.add(source, None, "no_papers", "no <entry> elements; is this an arXiv Atom feed?")
    for n, entry in enumerate(entries, 1):
        obj = {
            # the whole text: <title>A <b>fast</b> B</title> is "A fast B" (findtext stops at <b>)
            "title": _all_text(entry.find(f"{_ATOM}title")),
            "abstract": _all_text(entry.find(f"{_ATOM}summary")),
            "url": _all_text(entry.find(f"{_ATOM}id")),
            "published": _all_text(entry.find(f"{_ATOM}published")),
            "authors": [_all_text(a.find(f"{_ATOM}name")) for a in entry.findall(f"{_ATOM}author")],
        }
        paper = _record(obj, source, n, problems)
        if paper is not None:
            yield paper


def _all_text(element) -> str | None:
    return None if element is None else "".join(element.itertext())


def _read_parquet(path: Path, problems: Problems, name: str | None = None) -> Iterator[Paper]:
    import pyarrow.parquet as pq

    source = name or path.name
    data = readers.parquet_source(path)     # a compressed file: decompressed here (errors: one line)
    try:
        parquet = pq.ParquetFile(data)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputError(path, f"not a readable Parquet file ({type(exc).__name__}); check the file") from None
    names = set(parquet.schema_arrow.names)
    if not {"title", "abstract"} <= names:
        raise InputError(path, "Parquet file needs 'title' and 'abstract' columns")
    cols = [c for c in ("paper_id", "title", "abstract", "url", "published") if c in names]
    first = 0    # rows before this row group
    # row group by row group: a corrupt page (or invalid UTF-8) loses the rest of its row group,
    # as one counted problem, and the next row group is read
    for group in range(parquet.metadata.num_row_groups):
        size = parquet.metadata.row_group(group).num_rows
        row = first
        try:
            for batch in parquet.iter_batches(columns=cols, batch_size=4096, row_groups=[group]):
                for obj in batch.to_pylist():
                    row += 1
                    paper = _record(obj, source, row, problems)
                    if paper is not None:
                        yield paper
        except Exception as exc:   # pyarrow raises several types for corrupt data
            problems.add(source, row + 1, "corrupt_parquet",
                         f"row group {group} unreadable from row {row + 1} ({type(exc).__name__}: "
                         f"{(str(exc).splitlines() or [''])[0][:120]}); {first + size - row:,} rows skipped")
        first += size
