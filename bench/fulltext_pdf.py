"""Which PDF library for the text layer: pypdf vs pdfminer.six vs pypdfium2 on generated papers.

Generates --n papers as PDFs (bench/make_fulltext.py, reportlab: headings, paragraphs, a table,
a caption, two pages) and, per library: CPU ms per PDF (best of --repeat over all files), and
text quality measured by what the pipeline gets out of it:

* claims: the share of the claims `claims.extract` finds in the source text of the paper that
  it also finds in the library's text (same mention, same value and unit);
* table rows: the share of table rows that come out on one line (so that a row's numbers stay
  with their row).

    python bench/fulltext_pdf.py [--n 20] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def _pypdf(path: Path) -> str:
    import pypdf

    return "\f".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def _pdfminer(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


def _pdfium(path: Path) -> str:
    from claims.fulltext import pdf_text

    return pdf_text(path)


READERS = {"pypdf": _pypdf, "pdfminer.six": _pdfminer, "pypdfium2": _pdfium}


def _claims(text: str) -> set[tuple]:
    from claims.extract import extract_abstract

    return {(c.mention, c.value, c.unit) for c in extract_abstract(text).claims}


def run(n: int, repeat: int) -> list[dict]:
    from make_fulltext import paper, write_pdf

    tmp = Path(tempfile.mkdtemp(prefix="claims-pdf-"))
    papers = [paper(100 + i) for i in range(n)]
    paths = [write_pdf(p, tmp / f"p{i}.pdf") for i, p in enumerate(papers)]
    want = []
    for p in papers:
        source = "\n".join([p.title, *p.abstract, *p.introduction, *p.evaluation,
                            *(" ".join(r) for r in p.table), p.caption, *p.conclusion])
        want.append(_claims(source))
    rows = []
    for name, read in READERS.items():
        read(paths[0])                                  # imports, first-use costs
        best = float("inf")
        for _ in range(repeat):
            c = time.process_time()
            texts = [read(path) for path in paths]
            best = min(best, time.process_time() - c)
        got = [_claims(t) for t in texts]
        kept = sum(len(w & g) for w, g in zip(want, got)) / max(1, sum(len(w) for w in want))
        lines = [set(" ".join(line.split()) for line in t.splitlines()) for t in texts]
        on_one_line = sum(" ".join(r) in ls for p, ls in zip(papers, lines) for r in p.table)
        rows.append({"library": name, "ms_per_pdf": best / n * 1000, "claims_kept": kept,
                     "table_rows_on_one_line": on_one_line / sum(len(p.table) for p in papers)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print("| library | CPU ms per PDF | claims kept | table rows on one line |")
    print("|---|---|---|---|")
    for r in run(args.n, args.repeat):
        print(f"| {r['library']} | {r['ms_per_pdf']:.1f} | {r['claims_kept']:.1%} | {r['table_rows_on_one_line']:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
