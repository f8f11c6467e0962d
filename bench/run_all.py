"""Every benchmark, one after the other: `make bench`.

Each script measures Statboard against a reference in the same run and prints
ratios, so the figures compare across machines of different speed.
"""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = ["charts.py", "counters.py", "load_mix.py", "live.py"]

if __name__ == "__main__":
    failed = []
    for script in SCRIPTS:
        print(f"\n=== bench/{script} ===", flush=True)
        if subprocess.run([sys.executable, str(BENCH / script)]).returncode != 0:
            failed.append(script)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
