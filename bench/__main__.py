"""Run the benchmarks and print one table. `python -m bench [--full] [--only NAME] [--json FILE]`.

`--json FILE` writes the rows as a JSON list, each with `name`, `backend`, `measured`, `baseline`, `ratio`,
`target`, `met` (true/false, null without a target), `cpu_ms_per_msg` (server CPU per message or request, null
where not measured), `load_avg` (the machine's 1/5/15-minute load average when the suite started: absolute rates
move with it, ratios within one run much less) and `detail` (the table's text of the row). `measured`, `baseline`
and `ratio` are numbers where the suite gives them, else the table's text.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench import harness  # noqa: E402

SUITES = ["http", "inbox", "whatsapp", "drain", "chat", "reports", "kbli"]


as_json = harness.as_json  # the JSON row, kept here for callers of the old name


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--full", action="store_true", help="bigger runs (1,000 conversations, longer loads)")
    parser.add_argument("--only", choices=SUITES, action="append")
    parser.add_argument("--json", metavar="FILE", help="also write the rows to FILE as JSON")
    args = parser.parse_args()
    rows: list[harness.Row] = []
    for name in args.only or SUITES:
        module = __import__(f"bench.{name}", fromlist=["run"])
        for backend in harness.backends():
            load = harness.load_average()
            print(f"# {name} on {backend.name} (load average {load[0]:.2f}) ...", file=sys.stderr, flush=True)
            try:
                found = list(module.run(backend, full=args.full))
            except Exception as exc:  # one failing suite must not hide the others' numbers
                found = [harness.Row(name, backend.name, f"error: {exc}", "", "", "", "no")]
            for row in found:
                row.load_avg = row.load_avg or load
            rows.extend(found)
            if args.json:  # written after every suite: a later one failing keeps what was measured
                harness.write_json(args.json, rows)
    harness.print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
