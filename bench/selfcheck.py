"""Quality and speed of the pre-posting self-check (decision 0041).

    .venv/bin/python bench/selfcheck.py [--requests 40] [--workers 4] [--skip-speed]

1. Quality: runs the engine with each municipality's default rules (the values `rules_seed`
   writes to the CMS) on the labelled drafts in tests/selfcheck/drafts.jsonl and prints, for the
   dev split, the held-out test split and both, precision and recall per rule and overall (on the
   drafts that have a problem), the share of clauses cited right, and the share of harmless drafts
   that got any finding. The "fresh" split was written after the word lists were frozen and never
   used to change them; the "heldout" split (decision 0047) was written from the two guidelines and
   issue 18's list of risks alone, before the rules were generalised, and is printed last.
2. Speed: starts `--workers` processes, each loading GiNZA once as a gunicorn worker does, and
   has them check 300-character drafts at the same time (4 concurrent users); prints p50/p95 per
   check and the RSS of each worker after its model is loaded.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DRAFTS = ROOT / "tests" / "selfcheck" / "drafts.jsonl"


def load_drafts() -> list[dict]:
    return [json.loads(line) for line in DRAFTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_draft(draft: dict):
    from selfcheck import engine, nlp
    from selfcheck.defaults import default_rule_configs

    rules = default_rule_configs(municipality_slug=draft["municipality"], account_type=draft["account"])
    planned = datetime.fromisoformat(draft["planned_at"]) if draft.get("planned_at") else None
    return engine.check(
        text=draft["text"],
        account_type=draft["account"],
        planned_at=planned,
        rules=rules,
        entity_finder=lambda text, offset: nlp.entities(text, offset=offset),
        tokenizer=nlp.tokens,
    )


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def quality(drafts: list[dict], title: str, *, verbose: bool = False) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    clause_tp = clause_fp = clause_fn = 0
    harmless = flagged_harmless = 0
    for draft in drafts:
        findings = run_draft(draft)
        got = {f.code for f in findings}
        want = set(draft["rules"])
        got_clauses = {f.clause_key for f in findings}
        want_clauses = set(draft["clauses"])
        if not want:
            harmless += 1
            flagged_harmless += bool(got)
        else:
            for code in got & want:
                tp[code] += 1
            for code in got - want:
                fp[code] += 1
            for code in want - got:
                fn[code] += 1
            clause_tp += len(got_clauses & want_clauses)
            clause_fp += len(got_clauses - want_clauses)
            clause_fn += len(want_clauses - got_clauses)
        if verbose and got != want:
            print(f"  {draft['id']} want={sorted(want)} got={sorted(got)} {draft['text'][:50]}")
    problems = len(drafts) - harmless
    print(f"\n== {title}: {len(drafts)} drafts ({problems} with a problem, {harmless} harmless)")
    print(f"{'rule':<16}{'TP':>4}{'FP':>4}{'FN':>4}{'precision':>11}{'recall':>8}")
    for code in sorted(set(tp) | set(fp) | set(fn)):
        print(
            f"{code:<16}{tp[code]:>4}{fp[code]:>4}{fn[code]:>4}"
            f"{_ratio(tp[code], tp[code] + fp[code]):>11}{_ratio(tp[code], tp[code] + fn[code]):>8}"
        )
    t, f_p, f_n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    result = {
        "precision": t / (t + f_p) if t + f_p else 0.0,
        "recall": t / (t + f_n) if t + f_n else 0.0,
        "harmless_flagged": flagged_harmless / harmless if harmless else 0.0,
    }
    print(f"{'overall (rules)':<16}{t:>4}{f_p:>4}{f_n:>4}{_ratio(t, t + f_p):>11}{_ratio(t, t + f_n):>8}")
    print(
        f"{'overall (clauses)':<16}{clause_tp:>4}{clause_fp:>4}{clause_fn:>4}"
        f"{_ratio(clause_tp, clause_tp + clause_fp):>11}{_ratio(clause_tp, clause_tp + clause_fn):>8}"
    )
    print(f"harmless drafts with a finding: {flagged_harmless}/{harmless} = {result['harmless_flagged']:.3f}")
    print("targets: precision >= 0.9, recall >= 0.8, harmless flagged <= 0.1")
    return result


def _draft_300(drafts: list[dict]) -> list[dict]:
    """Drafts of 300 characters made of the labelled ones (per municipality and account type)."""
    made = []
    for i in range(len(drafts)):
        base = drafts[i]
        text = ""
        j = i
        while len(text) < 300:
            other = drafts[j % len(drafts)]
            if other["municipality"] == base["municipality"] and other["account"] == base["account"]:
                text += other["text"] + "\n"
            j += 1
        made.append({**base, "text": text[:300]})
    return made


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _worker(args):
    drafts, start_at, requests = args
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sns_training.settings.dev")
    import django

    django.setup()
    from selfcheck import nlp

    nlp.warm()
    rss = _rss_mb()
    while time.time() < start_at:
        time.sleep(0.01)
    timings = []
    for i in range(requests):
        began = time.perf_counter()
        run_draft(drafts[i % len(drafts)])
        timings.append((time.perf_counter() - began) * 1000)
    return rss, timings


def speed(drafts: list[dict], *, workers: int, requests: int) -> None:
    sample = _draft_300(drafts)
    start_at = time.time() + 25  # every worker has loaded its model by then
    chunks = [(sample[w::workers], start_at, requests) for w in range(workers)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.map(_worker, chunks)
    timings = sorted(t for _rss, ts in results for t in ts)
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"\n== speed: {workers} concurrent workers x {requests} checks of 300-character drafts")
    print(f"p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {timings[-1]:.0f} ms (target p95 <= 300 ms)")
    print("RSS per worker after loading GiNZA: " + ", ".join(f"{rss:.0f} MB" for rss, _ in results))
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="list every draft whose rules differ")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sns_training.settings.dev")
    import django

    django.setup()
    drafts = load_drafts()
    quality([d for d in drafts if d["split"] == "dev"], "dev split", verbose=options.verbose)
    quality([d for d in drafts if d["split"] == "test"], "held-out test split", verbose=options.verbose)
    quality([d for d in drafts if d["split"] == "fresh"], "fresh split (written after the rules were frozen)")
    quality(drafts, "all drafts")
    quality(
        [d for d in drafts if d["split"] == "heldout"],
        "heldout split (written from the guidelines only, never used to change a rule)",
        verbose=options.verbose,
    )
    if not options.skip_speed:
        speed(drafts, workers=options.workers, requests=options.requests)


if __name__ == "__main__":
    main()
