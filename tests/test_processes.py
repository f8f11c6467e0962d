"""The end-of-session check: a test session that leaves a process running fails, naming
it, and the process is ended; a session that cleans up passes."""

import os

from tests.fixtures.processes import running
from tests.fixtures.servers import ROOT

LEAKY = """
import subprocess


def test_leaves_two_behind():
    subprocess.Popen(["sleep", "61.5"])  # a child nobody waits for
    subprocess.run(["sh", "-c", "sleep 62.5 &"], check=True)  # an orphan, adopted by init
"""

TIDY = """
import subprocess


def test_waits_for_its_child():
    subprocess.run(["sleep", "0.1"], check=True)
"""


def run_session(pytester, monkeypatch, source: str):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-p", "tests.fixtures.processes", "-p", "no:cacheprovider")


def test_a_session_that_leaves_processes_running_fails_naming_them(pytester, monkeypatch):
    result = run_session(pytester, monkeypatch, LEAKY)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*left 2 process(es) running*"])
    result.stdout.fnmatch_lines(["*sleep 61.5*"])
    result.stdout.fnmatch_lines(["*sleep 62.5*"])
    result.assert_outcomes(passed=1, errors=1)
    assert not [p for p in running() if p.command in ("sleep 61.5", "sleep 62.5")]


def test_a_tidy_session_passes(pytester, monkeypatch):
    result = run_session(pytester, monkeypatch, TIDY)
    result.assert_outcomes(passed=1)
    assert result.ret == 0
