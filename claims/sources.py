"""Inputs people have: compressed files, the arXiv metadata snapshot and its category filter.

* **Compressed inputs**: every input format may be compressed as ``.gz``, ``.bz2``, ``.xz`` or
  ``.zst`` (``papers.jsonl.gz``, ``page.txt.xz``, ``shard.parquet.zst``). The format is the
  suffix before the compression suffix. Files are decompressed as a stream (a multi-GB
  ``arxiv-metadata-oai-snapshot.json.zst`` is never held whole, except Parquet, which needs a
  seekable file). Corrupt or truncated compressed data is a one-line `InputError` naming the
  file and the compression.
* **arXiv metadata snapshot** (Kaggle's ``arxiv-metadata-oai-snapshot.json``: one JSON object
  per line with ``id``, ``title``, ``abstract``, ``categories``, ``versions``, ``update_date``):
  read by the JSONL reader; `arxiv_fields` gives the record its URL
  (``https://arxiv.org/abs/<id>``) and its publication date, the date of version 1 (so the year
  is that of the first submission), else ``update_date``, else the year and month of a
  new-style id.
* **Category filter** (``--category cs.DC,cs.LG``): `Selection` keeps the JSON records whose
  ``categories`` (a space-separated string, as in the snapshot, or a list) name one of the
  categories; the others are counted (``Selection.skipped``), never dropped silently. A record
  without ``categories`` is outside every filter.
"""
from __future__ import annotations

import bz2
import email.utils
import gzip
import io
import json
import lzma
import re
from pathlib import Path
from typing import Iterable, Iterator

from .errors import InputError

COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
ARXIV_ABS = "https://arxiv.org/abs/"


def split_suffix(path: Path) -> tuple[str, str | None]:
    """(format suffix, compression suffix or None): ``a.jsonl.gz`` -> ``('.jsonl', '.gz')``."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        return (suffixes[-2] if len(suffixes) > 1 else ""), suffixes[-1]
    return Path(path).suffix.lower(), None


def input_suffix(path: Path) -> str:
    """The format suffix of an input file, whether compressed or not."""
    return split_suffix(path)[0]


def _errors(compression: str) -> tuple[type[BaseException], ...]:
    out: list[type[BaseException]] = [EOFError, OSError, lzma.LZMAError, ValueError]
    if compression == ".zst":
        import zstandard

        out.append(zstandard.ZstdError)
    return tuple(out)


class _Checked(io.RawIOBase):
    """A decompressing stream whose corrupt-data errors become one-line `InputError`s."""

    def __init__(self, path: Path, raw, compression: str):
        self._path, self._raw, self._compression = path, raw, compression
        self._errors = _errors(compression)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._raw.read(len(buffer))
        except PermissionError:
            raise InputError(self._path, "permission denied; make the file readable (chmod +r)") from None
        except self._errors as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(self._path, f"corrupt or truncated {self._compression} data ({detail}); "
                                         "re-download or re-compress the file") from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_binary(path: Path):
    """The bytes of an input file, decompressed when its name ends in a compression suffix.
    Raises OSError as `open` does for a missing or unreadable file."""
    compression = split_suffix(path)[1]
    if compression is None:
        return open(path, "rb")
    fh = open(path, "rb")
    if compression == ".gz":
        raw = gzip.GzipFile(fileobj=fh)
    elif compression == ".bz2":
        raw = bz2.BZ2File(fh)
    elif compression == ".xz":
        raw = lzma.LZMAFile(fh)
    else:
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(fh, closefd=True)
    return io.BufferedReader(_Checked(Path(path), raw, compression), buffer_size=1 << 16)


def rewind(fh, path: Path):
    """`fh` back at its start: seeked, or (a decompressing stream) closed and opened again."""
    if fh.seekable():
        fh.seek(0)
        return fh
    fh.close()
    return open_binary(path)


def read_bytes(path: Path) -> bytes:
    """The whole (decompressed) content of an input file."""
    with open_binary(path) as fh:
        return fh.read()


def parquet_source(path: Path):
    """What `pyarrow.parquet.ParquetFile` reads: the path, or the decompressed bytes of a
    compressed Parquet file (Parquet needs a seekable file)."""
    if split_suffix(path)[1] is None:
        return path
    return io.BytesIO(read_bytes(path))


# --------------------------------------------------------------------------- arXiv snapshot

# new-style arXiv ids: YYMM.NNNN(N) with an optional version ("2402.15627v2")
_NEW_ID = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5}(?:v\d+)?$")


def arxiv_fields(rec: dict) -> None:
    """Fill the URL and publication date of an arXiv metadata record in place (fields the
    record already has are kept)."""
    arxiv_id = str(rec["id"]).strip()
    rec.setdefault("url", ARXIV_ABS + arxiv_id)
    if rec.get("published") is None:
        rec["published"] = _first_version_date(rec.get("versions")) or rec.get("update_date") or _id_date(arxiv_id)


def _first_version_date(versions) -> str | None:
    """ISO date of version 1 ("Mon, 2 Apr 2007 19:18:42 GMT" -> "2007-04-02")."""
    if not isinstance(versions, list) or not versions or not isinstance(versions[0], dict):
        return None
    created = versions[0].get("created")
    if not isinstance(created, str):
        return None
    try:
        return email.utils.parsedate_to_datetime(created).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _id_date(arxiv_id: str) -> str | None:
    """Year and month of a new-style id (2007 on): "2402.15627" -> "2024-02"."""
    m = _NEW_ID.match(arxiv_id)
    return f"20{m['yy']}-{m['mm']}" if m else None


def arxiv_year(published: str | None) -> int | None:
    """The year of a date written as ISO (2024-02-23) by `arxiv_fields`."""
    if published and len(published) >= 4 and published[:4].isdigit():
        return int(published[:4])
    return None


class Selection:
    """The ``--category`` filter over JSON records: which lines pass, how many were skipped."""

    def __init__(self, categories: Iterable[str]):
        self.categories = frozenset(c.strip() for c in categories if c.strip())
        if not self.categories:
            raise ValueError("empty category list")
        self.skipped = 0

    @classmethod
    def parse(cls, text: str | None) -> "Selection | None":
        """``"cs.DC,cs.LG"`` -> a Selection; None or "" -> no filter."""
        if not text:
            return None
        return cls(text.split(","))

    def keeps(self, obj) -> bool:
        cats = obj.get("categories") if isinstance(obj, dict) else None
        if isinstance(cats, str):
            cats = cats.split()
        return isinstance(cats, list) and any(c in self.categories for c in cats)

    def lines(self, lines: Iterable[str], source: str) -> Iterator[str]:
        """The JSON lines, with each record outside the categories replaced by an empty line (so
        line numbers of the kept ones stay right). A malformed line passes through to be reported."""
        first = True
        for line in lines:
            if not line.strip():
                yield line
                continue
            if first and line.lstrip().startswith("["):
                raise InputError(source, "--category reads JSON Lines (one object per line), not a JSON "
                                         "array; convert the file (jq -c '.[]') or drop --category")
            first = False
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                yield line
                continue
            if self.keeps(obj):
                yield line
            else:
                self.skipped += 1
                yield "\n"
