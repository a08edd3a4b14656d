"""Full texts: the text layer of PDFs, LaTeX sources and arXiv source tarballs, and the section
and page of each sentence.

Each reader gives plain text laid out the way the rest of the pipeline reads it: one heading per
line ("5 Evaluation"), table rows one per line with cells joined by `` | ``, captions on lines
of their own ("Figure 3: ..."), pages separated by form feeds (``\\f``, PDF only). From that text
alone `layout` gives every sentence its ``section`` (abstract, introduction, evaluation,
conclusion, caption, table; the `sections` of ``rules/segment.yml``) and ``page``, so an abstract
is simply a text without headings: all 'abstract', no page.

* **PDF** (``.pdf``): pypdfium2, chosen by measuring it against pypdf and pdfminer.six on
  generated papers (``bench/fulltext_pdf.py``): the fastest, and the only one of the three that
  keeps a table row on one line (pypdf gives one cell per line, pdfminer.six one column per
  block), which is what lets a row's numbers stay with their row.
* **LaTeX** (``.tex``) and **arXiv source tarballs** (``.tar.gz``, ``.tgz``, ``.tar``; the main
  file is the one with ``\\documentclass``, ``\\input``/``\\include`` are followed): comments
  dropped, argument-less ``\\newcommand``/``\\def`` macros expanded, ``$...$`` math kept as its
  text with ``\\times`` -> ``x`` and ``\\%`` -> ``%``, sectioning commands as heading lines,
  ``tabular`` rows as lines, ``\\caption`` as a caption line, other commands dropped (their braced
  argument kept: ``\\textbf{2x}`` -> ``2x``; ``\\cite``, ``\\ref``, ``\\label`` dropped whole).

A file that cannot be read (not a PDF, a PDF without a text layer, a tarball without a ``.tex``)
is a one-line `InputError` naming it.
"""
from __future__ import annotations

import bisect
import functools
import io
import re
import tarfile
from pathlib import Path
from typing import Iterator

from .errors import InputError
from .models import Paper, paper_id_for
from .rules import get_rules

PDF_SUFFIXES = {".pdf"}
LATEX_SUFFIXES = {".tex"}
TARBALL_SUFFIXES = {".tar", ".tgz"}        # .tar.gz reads as .tar (claims.sources)
SUFFIXES = PDF_SUFFIXES | LATEX_SUFFIXES | TARBALL_SUFFIXES


# --------------------------------------------------------------------------- readers

def pdf_text(path: Path) -> str:
    """The text layer of a PDF, pages separated by form feeds."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError(path, f"not a readable PDF ({exc}); check the file") from None
    try:
        pages = []
        for i in range(len(doc)):
            page = doc[i]
            text = page.get_textpage().get_text_bounded()
            pages.append(text.replace("\r\n", "\n").replace("\r", "\n"))
    finally:
        doc.close()
    out = "\f".join(pages)
    if not out.strip():
        raise InputError(path, "PDF has no text layer (a scan?); run OCR first (e.g. ocrmypdf)")
    return out


# LaTeX: each regex removes or rewrites one construct, in this order
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_NEWCOMMAND = re.compile(r"\\(?:re)?newcommand\*?\s*\{?\\([A-Za-z]+)\}?\s*\{([^{}]*)\}|\\def\s*\\([A-Za-z]+)\s*\{([^{}]*)\}")
_ENV = re.compile(r"\\(begin|end)\{([A-Za-z*]+)\}(?:\[[^\]]*\])?(?:\{[^{}]*\})?")
_SECTION = re.compile(r"\\(?:sub)*section\*?\{([^{}]*)\}")
_CAPTION = re.compile(r"\\caption\{((?:[^{}]|\{[^{}]*\})*)\}")
_DROP = re.compile(r"\\(?:cite[a-z]*|ref|eqref|autoref|cref|Cref|label|url|footnote|usepackage|documentclass|"
                   r"bibliography|bibliographystyle|includegraphics|input|include)\*?(?:\[[^\]]*\])*\{[^{}]*\}")
_MATH = re.compile(r"\$([^$]*)\$")
_CMD_ARG = re.compile(r"\\[A-Za-z]+\*?(?:\[[^\]]*\])?\{([^{}]*)\}")
_CMD = re.compile(r"\\[A-Za-z]+\*?")
_INPUT = re.compile(r"\\(?:input|include)\{([^{}]+)\}")
_TITLE = re.compile(r"\\title(?:\[[^\]]*\])?\{((?:[^{}]|\{[^{}]*\})*)\}")
_MATH_WORDS = (("\\times", "x"), ("\\%", "%"), ("\\,", " "), ("\\sim", "~"), ("\\approx", "~"),
               ("\\!", ""), ("\\mathrm", ""), ("\\text", ""), ("{", ""), ("}", ""), ("^", ""), ("\\", ""))


def latex_title(src: str) -> str | None:
    m = _TITLE.search(_COMMENT.sub("", src))
    return " ".join(_CMD.sub("", m.group(1)).replace("{", "").replace("}", "").split()) if m else None


def latex_text(src: str) -> str:
    """Plain text of a LaTeX document (see the module docstring for what is kept)."""
    src = _COMMENT.sub("", src)
    macros = {}
    for m in _NEWCOMMAND.finditer(src):
        name, body = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        macros[name] = body
    src = _NEWCOMMAND.sub("", src)
    for name in sorted(macros, key=len, reverse=True):
        src = re.sub(r"\\" + name + r"(?![A-Za-z])\s?", lambda _m, b=macros[name]: b + " ", src)
    if "\\begin{document}" in src:
        src = src.split("\\begin{document}", 1)[1]
    src = src.split("\\end{document}", 1)[0]
    src = src.replace("\\maketitle", "")
    src = _SECTION.sub(lambda m: "\n\n" + m.group(1).strip() + "\n", src)
    src = _CAPTION.sub(lambda m: "\nCaption: " + m.group(1).strip() + "\n", src)
    src = _ENV.sub(lambda m: "\n\nAbstract\n" if m.group(2) == "abstract" and m.group(1) == "begin" else "\n", src)
    src = _DROP.sub("", src)
    src = _MATH.sub(lambda m: _math_text(m.group(1)), src)
    src = src.replace("\\%", "%").replace("~", " ").replace("\\&", "&")
    for rule in ("\\toprule", "\\midrule", "\\bottomrule", "\\hline"):
        src = src.replace(rule, "\n")
    for _ in range(3):                       # nested \textbf{\emph{2x}}
        src = _CMD_ARG.sub(lambda m: m.group(1), src)
    src = _CMD.sub(lambda m: "\n" if m.group(0) == "\\\\" else "", src.replace("\\\\", "\n"))
    lines = []
    for line in src.split("\n"):
        if "&" in line:                      # a tabular row: cells joined as a table row
            line = " | ".join(c.strip() for c in line.split("&"))
        lines.append(" ".join(line.split()))
    text = "\n".join(lines)
    # paragraphs: a blank line ends one; inside a paragraph the line breaks of the source go
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    out = []
    for p in paras:
        rows = [r for r in p.split("\n") if r]
        if any(" | " in r for r in rows) or len(rows) == 1:
            out.extend(rows)
        else:
            heads = [r for r in rows if r.startswith("Caption: ")]
            body = " ".join(r for r in rows if not r.startswith("Caption: "))
            out.extend(([body] if body else []) + heads)
    return "\n".join(out)


def _math_text(m: str) -> str:
    for a, b in _MATH_WORDS:
        m = m.replace(a, b)
    return m.strip()


def tarball_text(path: Path) -> tuple[str, str | None]:
    """(text, title) of an arXiv source tarball."""
    from .sources import open_binary

    try:
        with open_binary(path) as fh, tarfile.open(fileobj=io.BytesIO(fh.read()), mode="r:*") as tar:
            files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()
                     if m.isfile() and m.name.endswith(".tex")}
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(path, f"not a readable tar archive ({exc}); give an arXiv source .tar.gz") from None
    texts = {name: data.decode("utf-8", errors="replace") for name, data in files.items()}
    main = next((n for n in sorted(texts) if "\\documentclass" in texts[n]), None)
    if main is None:
        raise InputError(path, "no .tex file with \\documentclass in the archive; is it an arXiv source tarball?")
    folder = main.rsplit("/", 1)[0] + "/" if "/" in main else ""

    def inline(src: str, depth: int = 0) -> str:
        def sub(m):
            name = m.group(1).strip()
            name = folder + (name if name.endswith(".tex") else name + ".tex")
            return inline(texts.get(name, ""), depth + 1) if depth < 8 else ""
        return _INPUT.sub(sub, src)

    src = inline(texts[main])
    return latex_text(src), latex_title(src)


def read_fulltext(path: Path, suffix: str, problems) -> Iterator[Paper]:
    """One Paper per full-text file: its text as the 'abstract', title from the document."""
    from .sources import read_bytes

    title = None
    if suffix in PDF_SUFFIXES:
        text = pdf_text(path)
        title = _pdf_title(path)
    elif suffix in LATEX_SUFFIXES:
        try:
            src = read_bytes(path).decode("utf-8", errors="replace")
        except OSError as exc:
            raise InputError(path, f"cannot read file ({exc.strerror}); check the path") from None
        text, title = latex_text(src), latex_title(src)
    else:
        text, title = tarball_text(path)
    if not title:
        title = next((line.strip() for line in text.split("\n") if line.strip()), path.name)[:300]
    from .ingest import _make_paper

    paper = _make_paper({"title": title, "abstract": text, "source_line": None}, path.name, problems)
    if paper is not None:
        yield paper


def _pdf_title(path: Path) -> str | None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        title = (doc.get_metadata_dict() or {}).get("Title")
    finally:
        doc.close()
    return " ".join(title.split()) if title and title.strip() and title.strip() != "untitled" else None


# --------------------------------------------------------------------------- sections and pages

@functools.lru_cache(maxsize=4)
def _section_rules(version: str):
    headings: dict[str, str] = {}
    starts: tuple[str, ...] = ()
    for e in get_rules().section("segment.yml", "sections"):
        for h in e.get("headings") or ():
            headings[" ".join(str(h).lower().split())] = e.get("section")
        if e.get("starts"):
            starts = tuple(str(s).lower() for s in e.get("starts"))
    return headings, starts


_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.|[A-Z]\.)$")


def heading_of(line: str) -> str | None:
    """The section a heading line starts ("5.1 Experimental Setup" -> 'evaluation'), or None."""
    headings, _ = _section_rules(get_rules().version)
    words = line.split()
    if not words or len(line) > 80:
        return None
    if len(words) > 1 and _NUMBERING.match(words[0]):
        words = words[1:]
    return headings.get(" ".join(words).lower().rstrip(".:"))


def is_caption(line: str) -> bool:
    _, starts = _section_rules(get_rules().version)
    words = line.split(None, 2)
    return len(words) >= 2 and words[0].lower() in starts and (words[1][:1].isdigit() or words[0].endswith(":"))


def layout(text: str, starts: list[int]) -> tuple[list[str], list[int | None]]:
    """(section, page) of each sentence starting at `starts` (offsets into `text`, in order)."""
    if "\n" not in text and "\f" not in text:
        return ["abstract"] * len(starts), [None] * len(starts)
    from .segment import _rows, _table_like

    rows = _rows(get_rules().version)
    line_starts, line_sections = [], []
    current = "abstract"
    pos = 0
    for line in re.split(r"(?<=[\n\f])", text):
        stripped = line.strip()
        kind = current
        if stripped:
            head = heading_of(stripped)
            if head is not None:
                current = kind = head
            elif is_caption(stripped):
                kind = "caption"
            elif _table_like(stripped, rows):
                kind = "table"
        line_starts.append(pos)
        line_sections.append(kind)
        pos += len(line)
    pages = [i for i, ch in enumerate(text) if ch == "\f"] if "\f" in text else None
    sections, page_of = [], []
    for s in starts:
        sections.append(line_sections[bisect.bisect_right(line_starts, s) - 1])
        page_of.append(bisect.bisect_right(pages, s) + 1 if pages is not None else None)
    return sections, page_of


def paper_id(title: str) -> str:
    return paper_id_for(title)
