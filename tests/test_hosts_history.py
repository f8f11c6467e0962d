"""This host's readings and history: roll-ups, retention, ranges, sparklines."""

import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta

import pytest
from statboard.extensions import db
from statboard.hosts import history
from statboard.hosts.metrics import (
    IOSTAT_HEADER,
    Meter,
    Snapshots,
    iostat_report,
    uptime_line,
)
from statboard.hosts.models import HostRollup, HostSample, RemoteCheck, RemoteHost
from statboard.hosts.sparkline import sparkline

NOW = datetime(2026, 3, 10, 12, 0, 30)  # half a minute into 12:00


def add_samples(start: datetime, minutes: int, every: int = 10) -> None:
    """Raw samples every `every` s; cpu is the minute's index, mem the second in it."""
    for n in range(minutes * 60 // every):
        at = start + timedelta(seconds=n * every)
        db.session.add(
            HostSample(at=at, cpu=float(n * every // 60), mem=float(at.second), load1=1.0)
        )
    db.session.commit()


def rollups(resolution):
    return db.session.scalars(
        db.select(HostRollup).where(HostRollup.resolution == resolution).order_by(HostRollup.at)
    ).all()


def test_minutes_and_hours_are_averaged_from_complete_buckets(app):
    with app.app_context():
        add_samples(datetime(2026, 3, 10, 9, 0), minutes=181)  # 09:00 .. 12:00:50
        made = history.roll_up(now=NOW)
        minutes = rollups(60)
        # 09:00 .. 11:59 are complete; 12:00 is still filling.
        assert made == {60: 180, 3600: 3}
        assert [m.at for m in minutes[:2]] == [
            datetime(2026, 3, 10, 9, 0),
            datetime(2026, 3, 10, 9, 1),
        ]
        assert minutes[-1].at == datetime(2026, 3, 10, 11, 59)
        assert [m.cpu for m in minutes[:3]] == [0.0, 1.0, 2.0]
        assert minutes[0].mem == pytest.approx(25.0)  # mean of 0, 10 .. 50
        assert all(m.samples == 6 for m in minutes)
        hours = rollups(3600)
        assert [h.at.hour for h in hours] == [9, 10, 11]
        assert hours[0].cpu == pytest.approx(29.5)  # mean of minutes 0 .. 59
        assert hours[0].samples == 360


def test_roll_up_is_idempotent_and_picks_up_where_it_stopped(app):
    with app.app_context():
        add_samples(datetime(2026, 3, 10, 11, 0), minutes=61)
        history.roll_up(now=NOW)
        assert history.roll_up(now=NOW) == {60: 0, 3600: 0}
        add_samples(datetime(2026, 3, 10, 12, 1), minutes=2)
        assert history.roll_up(now=NOW + timedelta(minutes=3)) == {60: 3, 3600: 0}
        assert len(rollups(60)) == 63


def test_retention_drops_raw_after_a_day_and_minutes_after_a_month(app):
    with app.app_context():
        add_samples(datetime(2026, 1, 1, 0, 0), minutes=120)
        host = RemoteHost(name="old", url="http://127.0.0.1:9/")
        db.session.add(host)
        db.session.flush()
        db.session.add(RemoteCheck(host_id=host.id, at=datetime(2026, 1, 1), up=True))
        db.session.commit()
        history.roll_up(now=datetime(2026, 1, 1, 3, 0))

        history.prune(now=datetime(2026, 1, 1, 23, 0))  # within a day: all kept
        assert db.session.scalar(db.select(db.func.count()).select_from(HostSample)) == 720

        history.prune(now=datetime(2026, 1, 3))
        assert db.session.scalar(db.select(db.func.count()).select_from(HostSample)) == 0
        assert len(rollups(60)) == 120

        history.prune(now=datetime(2026, 2, 15))
        assert len(rollups(60)) == 0
        assert len(rollups(3600)) == 2  # hours are kept for years
        assert db.session.scalar(db.select(db.func.count()).select_from(RemoteCheck)) == 0


def test_each_range_reads_its_own_resolution(app):
    with app.app_context():
        add_samples(NOW - timedelta(hours=3), minutes=180)
        history.roll_up(now=NOW)
        one_hour = history.series("1h", now=NOW)
        assert len(one_hour["cpu"]) == 360  # raw samples every 10 s
        day = history.series("24h", now=NOW)
        assert len(day["cpu"]) == 180  # one point a minute
        month = history.series("30d", now=NOW)
        assert len(month["cpu"]) == 3  # one point an hour
        assert set(one_hour) == {"cpu", "mem", "load1", "read_bps", "write_bps"}


def test_uptime_line_has_the_uptime_command_format():
    line = uptime_line(now=datetime(2026, 1, 1, 7, 5, 9))
    assert re.match(
        r"^07:05:09 up (\d+ days?, )?(\s?\d+:\d\d|\d+ min), +\d+ users?, "
        r" load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d$",
        line,
    ), line


def test_iostat_report_has_one_device_table_per_count():
    waits = []
    report = iostat_report(3, 2, sleep=waits.append)
    assert waits == [2, 2]  # waits between reports, not before the first
    tables = report.split("\n\n")
    assert len(tables) == 4  # the banner, then three tables
    for table in tables[1:]:
        rows = table.strip().splitlines()
        assert rows[0] == IOSTAT_HEADER
        for row in rows[1:]:
            assert re.match(r"^\S+\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\s+\d+$", row), row


def test_meter_readings_are_in_range():
    meter = Meter()
    first, second = meter.read(), meter.read(min_interval=0)
    for reading in (first, second):
        assert 0 <= reading.cpu <= 100
        assert 0 < reading.mem <= 100
        assert reading.read_bps >= 0 and reading.write_bps >= 0


def test_sparkline_scales_and_downsamples():
    svg = sparkline([0, 50, 100], "CPU", width=100, height=20, ceiling=100)
    points = re.search(r'polyline class="spark-line" points="([^"]+)"', svg).group(1).split()
    assert points == ["2.0,18.0", "50.0,10.0", "98.0,2.0"]
    long = sparkline([float(n % 7) for n in range(5000)], "load")
    line = re.search(r'polyline class="spark-line" points="([^"]+)"', long).group(1)
    assert len(line.split()) == 120
    assert "spark-empty" in sparkline([1.0], "too little")
    assert "&lt;b&gt;" in sparkline([], "<b>")


def shape(line: str) -> str:
    """An uptime line with its numbers blanked: what stays is the format."""
    return re.sub(r"\d+(\.\d+)?", "N", line)


def test_uptime_line_matches_the_uptime_command_on_this_host():
    """Built from /proc, utmp and the load average, it reads as procps' uptime does:
    the same words, plurals, padding and numbers (the clock may tick in between)."""
    uptime = shutil.which("uptime")
    if uptime is None:
        pytest.skip("no uptime command on this host")
    for _attempt in range(3):  # a minute or the clock may roll over between the two
        before = time.time()
        theirs = subprocess.run([uptime], capture_output=True, text=True, check=True).stdout
        ours = uptime_line()
        if time.time() - before < 0.5 and theirs.strip()[:8] == ours[:8]:
            break
    theirs = theirs.strip()
    assert shape(ours) == shape(theirs), (ours, theirs)
    assert ours.split(",")[0] == theirs.split(",")[0]  # the time and how long up
    assert re.search(r"\d+ users?", ours)[0] == re.search(r"\d+ users?", theirs)[0]


def test_one_snapshot_a_second_serves_the_uptime_and_the_tile():
    snapshots = Snapshots(max_age=0.3)
    first = snapshots.get()
    assert snapshots.get() is first  # no reading of the host for the next request
    assert shape(first.uptime) == shape(uptime_line())
    assert first.seconds > 0 and first.disks and 0 <= first.reading.mem <= 100
    time.sleep(0.35)
    second = snapshots.get()
    assert second is not first and second.taken > first.taken
