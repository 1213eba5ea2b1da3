"""How fast the `reelgraph` command starts: the median wall time of `reelgraph --help`,
`reelgraph nodes list` and `reelgraph validate examples/hello.yaml`, each also as a ratio to
`python -c pass` measured in the same run (so a slow or busy machine shows as itself).

    python -m bench.cli_startup [--repeat 9]

Goals (issue 10): --help under 0.3 s and validate under 0.6 s on the 2-core development machine.
Wall time on a shared machine waits for the other processes too, so the children's CPU time
(user + system) is printed beside it: it is what the command itself costs.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"--help": 0.3, "validate examples/hello.yaml": 0.6}


def reelgraph_command() -> list[str]:
    """The installed console script (next to this interpreter, or on PATH), as a user runs it."""
    script = Path(sys.executable).with_name("reelgraph")
    if script.exists():
        return [str(script)]
    found = shutil.which("reelgraph")
    return [found] if found else [sys.executable, "-c", "from reelgraph.flows.cli import main; main()"]


# An installed package has its bytecode compiled (pip does it), so the warm-up run writes it even
# where the environment says not to; otherwise every run would compile every module again.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system) of `command` run `repeat` times."""
    subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, check=True)  # warm: bytecode, disk cache
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per command (the median is printed)")
    args = parser.parse_args()
    reelgraph = reelgraph_command()
    cases = {"python -c pass": [sys.executable, "-c", "pass"]}
    for label in ("--help", "nodes list", "validate examples/hello.yaml"):
        cases[label] = reelgraph + label.split()
    results = {label: timed(command, args.repeat) for label, command in cases.items()}
    base_wall, base_cpu = results["python -c pass"]
    print(f"median of {args.repeat} runs, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':<40} {'wall s':>7} {'x pass':>7} {'cpu s':>7} {'x pass':>7}  goal")
    for label, (wall, cpu) in results.items():
        goal = GOALS.get(label)
        verdict = "" if goal is None else f"< {goal} s: {'met' if wall < goal else 'NOT met'}"
        name = label if label.startswith('python') else f'reelgraph {label}'
        print(f"{name:<40} "
              f"{wall:7.3f} {wall / base_wall:7.1f} {cpu:7.3f} {cpu / base_cpu:7.1f}  {verdict}")


if __name__ == "__main__":
    main()
