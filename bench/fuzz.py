"""Fuzz graph documents at volume: every strategy family of tests/test_fuzz_documents.py, mixed.

    .venv/bin/python -m bench.fuzz              # at least 10,000 cases
    .venv/bin/python -m bench.fuzz --cases 50000

Every case must end as a valid Plan or as GraphInvalid with structured issues; any other exception
stops the run with the failing document (exit 1). Prints cases per family, valid plans vs
structured errors, the issue codes seen and cases per second.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import Counter

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reelgraph.graph import Plan  # noqa: E402
from tests.test_fuzz_documents import FAMILIES, Case, fuzz_settings, make_workspace, plan_outcome  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="run at least this many documents")
    args = parser.parse_args()

    workspace = make_workspace()
    per_family: dict[str, Counter] = {name: Counter() for name in FAMILIES}
    codes: Counter = Counter()
    mixed = st.one_of(*(strategy().map(lambda case, name=name: (name, case)) for name, strategy in FAMILIES.items()))

    @fuzz_settings(args.cases)
    @given(mixed)
    def fuzz(named_case: tuple[str, Case]) -> None:
        family, case = named_case
        outcome = plan_outcome(case, workspace)
        if isinstance(outcome, Plan):
            per_family[family]["plans"] += 1
        else:
            per_family[family]["errors"] += 1
            codes.update({issue.code for issue in outcome.issues})

    started = time.perf_counter()
    try:
        while sum(sum(c.values()) for c in per_family.values()) < args.cases:
            fuzz()  # hypothesis may stop a round early once it has seen enough; run another
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    elapsed = time.perf_counter() - started

    total = Counter()
    print(f"{'family':<20} {'cases':>7} {'plans':>7} {'errors':>7}")
    for family, counts in per_family.items():
        total.update(counts)
        print(f"{family:<20} {sum(counts.values()):>7} {counts['plans']:>7} {counts['errors']:>7}")
    cases = sum(total.values())
    print(f"{'all':<20} {cases:>7} {total['plans']:>7} {total['errors']:>7}")
    print(f"\n{cases} cases in {elapsed:.1f} s: {cases / elapsed:.0f} cases/s; no unhandled exception")
    print("issue codes seen (documents with at least one):")
    for code, count in codes.most_common():
        print(f"  {code:<26} {count:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
