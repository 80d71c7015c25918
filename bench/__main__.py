"""Run the benchmarks and print one table. `python -m bench [--full] [--only NAME]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench import harness  # noqa: E402

SUITES = ["inbox", "whatsapp", "chat", "reports", "kbli"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--full", action="store_true", help="bigger runs (1,000 conversations, longer loads)")
    parser.add_argument("--only", choices=SUITES, action="append")
    args = parser.parse_args()
    rows: list[harness.Row] = []
    for name in args.only or SUITES:
        module = __import__(f"bench.{name}", fromlist=["run"])
        for backend in harness.backends():
            print(f"# {name} on {backend.name} ...", file=sys.stderr, flush=True)
            try:
                rows.extend(module.run(backend, full=args.full))
            except Exception as exc:  # one failing suite must not hide the others' numbers
                rows.append(harness.Row(name, backend.name, f"error: {exc}", "", "", "", "no"))
    harness.print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
