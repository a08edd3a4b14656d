"""Generated full texts: real-looking papers as PDF (reportlab) and LaTeX (an arXiv source tarball).

Every paper has a title, an abstract, an introduction, an evaluation with a table and a figure
caption, and a conclusion; its claims are known (the same sentences go into the PDF and the
LaTeX), so readers can be scored on how many claims their text layer keeps.

    from make_fulltext import paper, write_pdf, write_tarball
"""
from __future__ import annotations

import io
import random
import tarfile
from dataclasses import dataclass
from pathlib import Path

SYSTEMS = ["Zorvex", "FlashServe", "Quill", "Merak", "Tidal"]
BASELINES = ["vLLM", "TensorRT-LLM", "Megatron-LM", "DeepSpeed"]
HARDWARE = ["H100", "A100", "MI250X"]


@dataclass
class Paper:
    title: str
    abstract: list[str]
    introduction: list[str]
    evaluation: list[str]
    table: list[list[str]]        # header row first
    caption: str
    conclusion: list[str]


def paper(seed: int = 0, paragraphs: int = 2) -> Paper:
    rng = random.Random(seed)
    sys_, base, hw = rng.choice(SYSTEMS), rng.choice(BASELINES), rng.choice(HARDWARE)

    def claim() -> str:
        return rng.choice([
            f"{sys_} achieves {rng.uniform(1.2, 9.5):.1f}x higher throughput than {base} on {rng.choice([8, 16, 64])} {hw} GPUs.",
            f"It reduces latency by {rng.randint(10, 70)}% compared to {base}.",
            f"Training a {rng.choice([7, 13, 70])}B model reaches {rng.uniform(30, 60):.1f}% MFU on {hw} GPUs.",
        ])

    def prose(n: int) -> list[str]:
        filler = ["We study serving of large language models at scale.",
                  "The design separates scheduling from memory management.",
                  "Our approach needs no change to the model."]
        return [rng.choice(filler) + " " + claim() + " " + rng.choice(filler) for _ in range(n)]

    table = [["System", "GPUs", "Throughput", "Speedup"]]
    for name in [base, sys_]:
        table.append([name, str(rng.choice([8, 16])), f"{rng.uniform(100, 900):.1f}", f"{rng.uniform(1, 4):.2f}x"])
    return Paper(title=f"{sys_}: Fast Serving of Large Models {seed}", abstract=[claim(), claim()],
                 introduction=prose(paragraphs), evaluation=prose(paragraphs), table=table,
                 caption=f"Figure 3: Throughput of {sys_} is {rng.uniform(1.5, 5):.1f}x that of {base}.",
                 conclusion=[claim()])


def write_pdf(p: Paper, path: Path) -> Path:
    """A two-page-ish paper: headings, paragraphs, a table, a caption, page breaks."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    st = getSampleStyleSheet()
    story = [Paragraph(p.title, st["Title"]), Paragraph("Abstract", st["Heading2"]),
             Paragraph(" ".join(p.abstract), st["BodyText"]), Paragraph("1 Introduction", st["Heading1"])]
    story += [Paragraph(t, st["BodyText"]) for t in p.introduction]
    story += [PageBreak(), Paragraph("5 Evaluation", st["Heading1"])]
    story += [Paragraph(t, st["BodyText"]) for t in p.evaluation]
    table = Table(p.table)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
    story += [Spacer(1, 8), table, Paragraph(p.caption, st["Italic"]),
              Paragraph("6 Conclusion", st["Heading1"]), Paragraph(" ".join(p.conclusion), st["BodyText"])]
    SimpleDocTemplate(str(path), pagesize=letter, title=p.title).build(story)
    return path


def _tex_escape(t: str) -> str:
    return t.replace("%", r"\%")


def latex(p: Paper) -> str:
    """The paper as LaTeX, with macros, comments, math-mode numbers, \\times and \\%."""
    def math(t: str) -> str:          # "3.1x" -> "$3.1\times$": how papers write factors
        out = []
        for w in t.split(" "):
            if w.endswith("x") and w[:-1].replace(".", "").isdigit():
                w = f"${w[:-1]}\\times$"
            out.append(w)
        return " ".join(out)

    rows = " \\\\\n".join(" & ".join(math(c) for c in row) for row in p.table)
    body = "\n\n".join(_tex_escape(math(t)) for t in p.introduction)
    ev = "\n\n".join(_tex_escape(math(t)) for t in p.evaluation)
    return f"""\\documentclass{{article}}
\\usepackage{{amsmath}} % a comment that must not become text: 99x faster
\\newcommand{{\\sys}}{{{p.title.split(':')[0]}}}
\\title{{{p.title}}}
\\begin{{document}}
\\maketitle
\\begin{{abstract}}
{_tex_escape(math(' '.join(p.abstract)))}
\\end{{abstract}}
\\section{{Introduction}}
{body}
% TODO: cite more work, 42% done
\\section{{Evaluation}}\\label{{sec:eval}}
{ev}
\\begin{{table}}[t]
\\centering
\\begin{{tabular}}{{lrrr}}
\\toprule
{rows} \\\\
\\bottomrule
\\end{{tabular}}
\\caption{{{_tex_escape(math(p.caption.split(': ', 1)[1]))}}}
\\end{{table}}
\\section{{Conclusion}}
{_tex_escape(math(' '.join(p.conclusion)))}
\\end{{document}}
"""


def write_tarball(p: Paper, path: Path) -> Path:
    """An arXiv source tarball: main.tex plus a figure file and a style file."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("main.tex", latex(p).encode()), ("figures/plot.pdf", b"%PDF-1.4 not text"),
                           ("macros.sty", b"\\ProvidesPackage{macros}\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def plain_text(p: Paper, target: int = 50_000, seed: int = 0) -> str:
    """The paper laid out as the full-text readers give it (headings and table rows on lines of
    their own), its evaluation grown with more paragraphs and table rows to about `target` chars."""
    rng = random.Random(seed)
    head = [p.title, "Abstract", " ".join(p.abstract), "1 Introduction", *p.introduction, "5 Evaluation"]
    tail = [p.caption, "6 Conclusion", *p.conclusion]
    body: list[str] = []
    size = sum(len(x) + 1 for x in head + tail)
    k = 0
    while size < target:
        extra = paper(seed * 1000 + k)
        chunk = list(extra.evaluation) + [" | ".join(row) for row in extra.table]
        chunk += [" | ".join([rng.choice(SYSTEMS), str(rng.choice([8, 16, 64])), f"{rng.uniform(100, 900):.1f}",
                              f"{rng.uniform(1, 4):.2f}x"]) for _ in range(6)]
        body += chunk
        size += sum(len(x) + 1 for x in chunk)
        k += 1
    return "\n".join(head + body + tail)
