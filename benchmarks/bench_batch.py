"""Batch grading throughput, memory and the I/O floor, on synthetic classes of the 2019 exam.

Run: python benchmarks/bench_batch.py [--students 10000] [--small 2000] [--jobs 2] [--profile]

A class of synthetic submissions (every part of INF 5860/9860 2019: arrows, numbers and
expressions, free text; correct, partly right, wrong and blank answers by each student's
ability; decimal commas, paraphrases, typos, filler words) is written to a temporary folder as
one YAML file per student and as one CSV. Each measurement then runs in a fresh process so
that its peak memory (ru_maxrss) is its own:

- floor: read every input and lower-case its text (the I/O floor of the issue);
- read: our reader alone (`read_submissions`: decode, parse the YAML or CSV, build each
  Submission), the floor of any grader that parses its input: the ratio to it says how much the
  grading and the outputs cost beyond parsing;
- grade: `api.grade` end to end (read, grade, feedback files, scores, details, report.html),
  with an empty cache; `resume`: the same again, every result reused from OUT/.partial/;
- the same at --small students, to show memory does not grow with the class;
- --jobs N: wall time with N worker processes.

CPU time is user+sys of the process and its children (the machine is shared: wall time is
shown but not the figure of merit). answers/s counts graded parts (one line of details.jsonl).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled
EXAMPLES = ROOT / "examples" / "submissions"
ARROWS = {"a1": "7", "a2": "-10.5", "a3": "0", "a4": "-3.5", "a5": "-3.5", "a6": "-3.5",
          "a7": "-3.5", "a8": "49", "a9": "-7"}
NUMBERS = {"ex3a": ("13", ["1 + (3-1) + (5-1) + (7-1) = 13", "13.0", "23", "11"]),
           "ex3b": ("23", ["1 + (3-1) + 2*(5-1) + 2*(7-1)", "23,0", "13", "25"]),
           "ex3c": ("350", ["3*3*3*2 + 2*5*5*2 + 2*7*7*2", "350,0", "525", "3·3·3·2 + 2·5·5·2"])}
FILLERS = ("I think", "basically", "in other words", "as far as I remember", "so", "i.e.",
           "as we saw in the lectures", "roughly speaking")


def text_pools() -> dict[str, list[str]]:
    """Every distinct example answer to each text part (good, weak and wrong ones)."""
    pools: dict[str, list[str]] = {}
    docs = [yaml.safe_load(p.read_text("utf-8")) for p in sorted(EXAMPLES.glob("*.yaml"))]
    docs += [json.loads(p.read_text("utf-8")) for p in sorted(EXAMPLES.glob("*.json"))]
    with (EXAMPLES / "class.csv").open(encoding="utf-8") as handle:
        docs += [{"answers": row} for row in csv.DictReader(handle)]
    for doc in docs:
        for part, answer in (doc.get("answers") or {}).items():
            if isinstance(answer, str) and answer and part[:3] in {f"ex{i}" for i in range(2, 8)} \
                    and part not in NUMBERS:
                pools.setdefault(part, []).append(answer.strip())
    return {part: sorted(set(texts)) for part, texts in pools.items()}


def _mutate(rng: random.Random, text: str) -> str:
    """A paraphrase-like variant: filler words, a typo, case and punctuation changes."""
    words = text.split()
    if rng.random() < 0.6:
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    if rng.random() < 0.3 and words:
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4:
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    out = " ".join(words)
    if rng.random() < 0.2:
        out = out.lower()
    return out + rng.choice(("", ".", " ", "!"))


def _comma(rng: random.Random, value: str) -> str:
    return value.replace(".", ",") if rng.random() < 0.4 else value


def _arrows(rng: random.Random, ability: float) -> dict[str, str]:
    answers = {k: _comma(rng, v) for k, v in ARROWS.items()}
    if rng.random() > ability:  # a sign error on the last arrow, carried upstream
        answers = {k: _comma(rng, v[1:] if v.startswith("-") else f"-{v}" if v != "0" else v)
                   for k, v in ARROWS.items()}
    for k in answers:
        if rng.random() > 0.5 + ability / 2:
            answers[k] = str(rng.choice([-7, 3.5, 10, 21, "1/2"]))
    return answers


def submission(rng: random.Random, number: int, pools: dict[str, list[str]]) -> dict:
    """One student's submission with answers drawn by an ability in [0, 1]."""
    ability = rng.random()
    course = "INF9860" if rng.random() < 0.3 else "INF5860"
    answers: dict[str, object] = {"ex1a": _arrows(rng, ability)}
    for part, (right, wrong) in NUMBERS.items():
        answers[part] = right if rng.random() < ability else rng.choice(wrong)
    for part, texts in pools.items():
        if part.startswith("ex7") and course != "INF9860":
            continue
        if rng.random() < 0.08 * (1 - ability):
            continue  # blank
        # the pools are ordered arbitrarily; ability picks among them, then a mutation
        answers[part] = _mutate(rng, rng.choice(texts))
    return {"student": f"s{number:06d}", "exam": "inf5860-2019", "variant": "original",
            "course": course, "answers": answers}


def write_class(folder: Path, students: int, seed: int = 2019) -> tuple[Path, Path]:
    """The class as YAML files (folder/yaml/) and as one CSV (folder/class.csv)."""
    rng, pools = random.Random(seed), text_pools()
    subs = [submission(rng, 100_000 + i, pools) for i in range(students)]
    yaml_dir = folder / "yaml"
    yaml_dir.mkdir(parents=True)
    for sub in subs:
        (yaml_dir / f"{sub['student']}.yaml").write_text(
            yaml.safe_dump(sub, allow_unicode=True, sort_keys=False), encoding="utf-8")
    parts = sorted({p for s in subs for p in s["answers"]})
    columns = ["student", "variant", "course"]
    for part in parts:
        columns += [f"ex1a.{a}" for a in ARROWS] if part == "ex1a" else [part]
    with (folder / "class.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for sub in subs:
            row = {"student": sub["student"], "variant": "original", "course": sub["course"]}
            for part, answer in sub["answers"].items():
                if isinstance(answer, dict):
                    row.update({f"{part}.{k}": v for k, v in answer.items()})
                else:
                    row[part] = answer
            writer.writerow(row)
    return yaml_dir, folder / "class.csv"


def _usage() -> dict:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return {"cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
            "rss_mb": max(me.ru_maxrss, kids.ru_maxrss) / 1024}


def child(mode: str, source: Path, out: Path, jobs: int, profile: bool) -> dict:
    """One measurement, in this (fresh) process."""
    if mode == "floor":
        start, wall, chars = _usage()["cpu"], time.perf_counter(), 0
        for path in sorted(source.iterdir()) if source.is_dir() else [source]:
            chars += len(path.read_bytes().decode("utf-8").lower())
        return {"cpu": _usage()["cpu"] - start, "wall": time.perf_counter() - wall,
                "chars": chars, "rss_mb": _usage()["rss_mb"]}
    if mode == "read":
        from grader.ingest.submissions import read_submissions

        start, wall = _usage()["cpu"], time.perf_counter()
        count = sum(1 for _ in read_submissions([source]))
        return {"cpu": _usage()["cpu"] - start, "wall": time.perf_counter() - wall,
                "submissions": count, "rss_mb": _usage()["rss_mb"]}
    from grader import api

    api.load_context("inf5860-2019")  # imports and loading are not the batch's cost
    start, wall = _usage()["cpu"], time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(api.grade, "inf5860-2019", [source], out, jobs=jobs)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        api.grade("inf5860-2019", [source], out, jobs=jobs)
    usage = _usage()
    answers = sum(1 for _ in (out / "details.jsonl").open(encoding="utf-8"))
    return {"cpu": usage["cpu"] - start, "wall": time.perf_counter() - wall,
            "answers": answers, "rss_mb": usage["rss_mb"]}


def measure(mode: str, source: Path, out: Path, jobs: int = 1, profile: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", mode, str(source), str(out), str(jobs)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    if profile:
        print(done.stderr[-6000:], file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile the YAML batch")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        mode, source, out, jobs = args.child
        print(json.dumps(child(mode, Path(source), Path(out), int(jobs), "--profile" in rest)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        for size in (args.small, args.students):
            yaml_dir, class_csv = write_class(root / f"class{size}", size)
            print(f"\n{size} students ({sum(1 for _ in yaml_dir.iterdir())} YAML files, "
                  f"{class_csv.stat().st_size // 1024} KiB CSV)")
            for label, source in (("YAML files", yaml_dir), ("one CSV", class_csv)):
                floor = measure("floor", source, root / "unused")
                parsed = measure("read", source, root / "unused")
                out = root / f"out-{size}-{label[:4]}"
                run = measure("grade", source, out, profile=args.profile and size ==
                              args.students and label == "YAML files")
                again = measure("grade", source, out)
                rate = run["answers"] / run["cpu"]
                print(f"  {label:10}: floor {floor['cpu']:.2f} s CPU; grade {run['cpu']:.1f} s "
                      f"CPU ({run['wall']:.1f} s wall), {run['answers']} answers, "
                      f"{rate:,.0f} answers/s, {run['cpu'] / floor['cpu']:.0f}x the floor, "
                      f"{run['cpu'] / parsed['cpu']:.0f}x reading ({parsed['cpu']:.2f} s), "
                      f"peak {run['rss_mb']:.0f} MB; resume {again['cpu']:.1f} s CPU "
                      f"({again['answers'] / again['cpu']:,.0f} answers/s)")
            if size == args.students and args.jobs > 1:
                par = measure("grade", yaml_dir, root / "out-jobs", jobs=args.jobs)
                print(f"  --jobs {args.jobs}: {par['wall']:.1f} s wall, {par['cpu']:.1f} s CPU "
                      f"(all processes), peak {par['rss_mb']:.0f} MB per process")


if __name__ == "__main__":
    main()
