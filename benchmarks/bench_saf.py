"""Agreement of keyword grading with human graders on SAF (Filighera et al., ACL 2022, MIT).

Run: python benchmarks/bench_saf.py [--data DIR] [--root CHECKOUT] [--answers]

For each rubric in benchmarks/saf_rubrics/ (written from the question and its reference
answer only), the English answers of the ``unseen_answers`` split are graded and compared with
the human scores (0..1): Pearson r, and quadratic weighted kappa with both scores binned to
the human scale's quarters (0, .25, .5, .75, 1). The ``training`` split is reported
separately. Next to it, in the same run, a token-overlap baseline: the recall of the
reference answer's content words (stems), scaled so that the median recall of the training
answers humans gave full marks counts as full marks (capped at 1).

``--root`` grades with the engine of another checkout (e.g. an exported older commit), for
before/after figures. The tool itself never reads ../shared; only this script does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import xml.etree.ElementTree as ET  # a local, trusted data set (not student uploads)
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "datasets" / "saf" / "data"
SPLITS = ("unseen_answers", "training")
BINS = 4  # quarters: 0, .25, .5, .75, 1
STOP = frozenset("""a an the of to in on at by for with from and or but if then than that this these
those is are was were be been being it its as into over under which who what when where why how
can could may might will would should do does did have has had not no so such also each every
any all both either there their they them he she we you i your our one two e g i e etc""".split())


@dataclass(frozen=True)
class Answer:
    question: str
    split: str
    text: str
    human: float


def read_split(data: Path, split: str, qid: str) -> tuple[str, list[Answer]]:
    """The reference answer and the student answers of question `qid` in one split."""
    files = sorted((data / split / "english").glob(f"{qid}_*.xml"))
    if not files:
        return "", []
    root = ET.parse(files[0]).getroot()
    reference = " ".join(r.text or "" for r in root.iter("referenceAnswer"))
    answers = [Answer(qid, split, (a.findtext("response") or "").strip(),
                      float(a.findtext("score") or 0)) for a in root.iter("studentAnswer")]
    return reference, answers


def content_stems(text: str, tokenize) -> set[str]:
    return {t.stem for t in tokenize(text) if t.norm not in STOP and len(t.norm) > 1}


def pearson(xs: list[float], ys: list[float]) -> float:
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:  # a constant column: r is undefined
        return float("nan")


def qwk(xs: list[float], ys: list[float]) -> float:
    """Quadratic weighted kappa of two scores in [0, 1] binned to BINS + 1 levels."""
    a = [round(x * BINS) for x in xs]
    b = [round(y * BINS) for y in ys]
    n, k = len(a), BINS + 1
    observed = [[0.0] * k for _ in range(k)]
    for i, j in zip(a, b, strict=True):
        observed[i][j] += 1
    row = [sum(observed[i]) for i in range(k)]
    col = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * row[i] * col[j] / n
    return 1.0 - num / den if den else float("nan")


def grade(rubric_path: Path, answers: list[Answer], engine) -> list[float]:
    load_rubric, score_part, part_variant = engine
    rubric = load_rubric(rubric_path)
    (pid, pr), = rubric.parts.items()
    variant = part_variant(pid, "text", pr.points, "", {}, None, "")
    return [float(score_part(rubric, pr, variant, a.text).score / pr.points) for a in answers]


def baseline(reference: str, answers: list[Answer], training: list[Answer], tokenize):
    """Recall of the reference's content stems, scaled on the training split."""
    ref = content_stems(reference, tokenize) or {""}

    def recall(text: str) -> float:
        return len(ref & content_stems(text, tokenize)) / len(ref)

    full = [recall(a.text) for a in training if a.human >= 1] or [1.0]
    scale = statistics.median(full) or 1.0
    return [min(1.0, recall(a.text) / scale) for a in answers]


def row(name: str, human, ours, base) -> str:
    mean = statistics.fmean
    return (f"{name:<14}{len(human):>5}{mean(human):>7.2f}{mean(ours):>7.2f}"
            f"{pearson(ours, human):>8.2f}{qwk(ours, human):>8.2f}"
            f"{pearson(base, human):>8.2f}{qwk(base, human):>8.2f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--root", type=Path, default=HERE.parent, help="checkout whose engine grades")
    ap.add_argument("--rubrics", type=Path, default=HERE / "saf_rubrics")
    ap.add_argument("--answers", action="store_true", help="print every unseen answer's scores")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.root.resolve()))
    from grader.model import PartVariant
    from grader.rubric import load_rubric, score_part
    from grader.rubric.text import tokenize
    engine = (load_rubric, score_part, PartVariant)
    header = (f"{'question':<14}{'n':>5}{'human':>7}{'ours':>7}{'r':>8}{'qwk':>8}"
              f"{'base r':>8}{'b qwk':>8}")
    pooled = {split: ([], [], []) for split in SPLITS}
    for split in SPLITS:
        print(f"\n== {split} ==\n{header}")
        for path in sorted(args.rubrics.glob("*.yaml"),
                           key=lambda p: [int(x) for x in p.name.split("_")[0].split(".")]):
            qid = path.name.split("_")[0]
            reference, answers = read_split(args.data, split, qid)
            _, training = read_split(args.data, "training", qid)
            if not answers:
                continue
            human = [a.human for a in answers]
            ours = grade(path, answers, engine)
            base = baseline(reference, answers, training, tokenize)
            print(row(qid, human, ours, base))
            for column, values in zip(pooled[split], (human, ours, base), strict=True):
                column.extend(values)
            if args.answers and split == "unseen_answers":
                for a, o in zip(answers, ours, strict=True):
                    print(f"    human {a.human:.2f} ours {o:.2f}  {a.text[:150]!r}")
        print(row("ALL", *pooled[split]))


if __name__ == "__main__":
    main()
