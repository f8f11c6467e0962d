"""Every benchmark, one after the other: `make bench`.

    .venv/bin/python bench/run_all.py [--quick] [--table-only] [table.py's options]

Each script measures Statboard against a reference in the same run and prints
ratios, so the figures compare across machines of different speed. The scripts
outside the table run first (the counters' exactness check and the Flask + UPDATE
reference, the load mix, live pages, Lighthouse on the home page); bench/table.py
runs last, so that its summary of every row of the performance table is the end of
the output. Options it does not know itself go to bench/table.py (--rounds,
--duration, --soak, --only ...).
"""

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# (script, its options for a full run, for a --quick one)
OTHERS = [
    ("counters.py", [], ["--duration", "1", "--rounds", "1"]),
    ("load_mix.py", [], ["--seconds", "2", "--editors", "4"]),
    ("live.py", [], ["--streams", "10", "--seconds", "2"]),
    ("lighthouse.py", [], ["--rounds", "1"]),
]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of everything")
    parser.add_argument("--table-only", action="store_true", help="only bench/table.py")
    args, table_args = parser.parse_known_args()
    runs = [] if args.table_only or "--only" in table_args else OTHERS
    runs = [(script, quick if args.quick else full) for script, full, quick in runs]
    runs.append(("table.py", [*table_args, *(["--quick"] if args.quick else [])]))
    failed = []
    for script, options in runs:
        print(f"\n=== bench/{script} {' '.join(options)} ===", flush=True)
        if subprocess.run([sys.executable, str(BENCH / script), *options]).returncode != 0:
            failed.append(script)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
