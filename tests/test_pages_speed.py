"""What a page view costs: the statements it runs, whatever the number of its blocks;
the benchmark that prints those figures (bench/page_views.py) keeps working."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_page_views_benchmark_prints_a_line_per_viewer():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "page_views.py"), "--views", "3", "--blocks", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("home page: 11 blocks"), lines
    for viewer in ("visitor", "user", "admin"):
        line = next((line for line in lines if line.startswith(viewer)), "")
        assert " queries " in line and " ms p50 " in line and line.endswith("bytes)"), lines
