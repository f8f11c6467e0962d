"""Readings of this host with psutil: what uptime(1), iostat(1) and the host tile show."""

import os
import platform
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import psutil

# Mount points worth showing: real file systems, not the kernel's pseudo ones.
PSEUDO_FS = {"proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "overlay", "squashfs", "cgroup2"}


def uptime_seconds() -> float:
    """Seconds since boot, from /proc/uptime as uptime(1) reads them (psutil elsewhere)."""
    try:
        with open("/proc/uptime", "rb") as handle:
            return float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return max(0.0, time.time() - psutil.boot_time())


def uptime_line(now: datetime | None = None) -> str:
    """The uptime command's line (procps), stripped of surrounding whitespace as the
    original API answered it, e.g.
    '10:15:02 up 3 days,  2:03,  2 users,  load average: 0.15, 0.20, 0.18'.
    Like procps: "day"/"user" unless more than one, hours only when there are any."""
    now = now or datetime.now()
    seconds = int(uptime_seconds())
    days, minutes = seconds // 86400, seconds // 60
    hours, minutes = (minutes // 60) % 24, minutes % 60
    line = f"{now:%H:%M:%S} up "
    if days:
        line += f"{days} day{'s' if days > 1 else ''}, "
    line += f"{hours:2d}:{minutes:02d}, " if hours else f"{minutes} min, "
    users = sum(1 for user in psutil.users() if user.name)
    line += f"{users:2d} user{'s' if users > 1 else ''}, "
    load1, load5, load15 = os.getloadavg()
    return line + f" load average: {load1:.2f}, {load5:.2f}, {load15:.2f}"


def disk_usage() -> list[dict]:
    """Use of each mounted file system, largest first."""
    mounts, seen = [], set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in PSEUDO_FS or part.device in seen:
            continue
        seen.add(part.device)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:  # gone or not readable: skip rather than fail the tile
            continue
        mounts.append(
            {
                "mount": part.mountpoint,
                "total": usage.total,
                "used": usage.used,
                "percent": usage.percent,
            }
        )
    return sorted(mounts, key=lambda m: -m["total"])


@dataclass
class Reading:
    """A moment of this host: instant values plus rates since the previous reading."""

    cpu: float  # percent busy
    mem: float  # percent used
    load1: float
    load5: float
    load15: float
    read_bps: float  # bytes per second
    write_bps: float


class Meter:
    """Rates (CPU busy, disk bytes/s) between successive readings.

    Each Meter keeps its own previous counters, so the sampler and the tiles do not
    shorten each other's intervals (psutil.cpu_percent() shares one global).
    The first reading gives the averages since boot.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._last: tuple[float, object, object] | None = None
        self._cached: Reading | None = None

    def read(self, min_interval: float = 1.0) -> Reading:
        with self._lock:
            now = time.monotonic()
            if self._cached and self._last and now - self._last[0] < min_interval:
                return self._cached
            cpu_times, disk = psutil.cpu_times(), psutil.disk_io_counters(perdisk=False)
            if self._last is None:
                elapsed, prev_cpu, prev_disk = uptime_seconds(), None, None
            else:
                elapsed, prev_cpu, prev_disk = now - self._last[0], self._last[1], self._last[2]
            self._last = (now, cpu_times, disk)
            load1, load5, load15 = psutil.getloadavg()
            self._cached = Reading(
                cpu=_busy_percent(prev_cpu, cpu_times),
                mem=psutil.virtual_memory().percent,
                load1=load1,
                load5=load5,
                load15=load15,
                read_bps=_rate(prev_disk, disk, "read_bytes", elapsed),
                write_bps=_rate(prev_disk, disk, "write_bytes", elapsed),
            )
            return self._cached


def _busy_percent(before, after) -> float:
    def idle(t):
        return t.idle + getattr(t, "iowait", 0.0)

    total = sum(after) - (sum(before) if before else 0.0)
    idle_delta = idle(after) - (idle(before) if before else 0.0)
    if total <= 0:
        return 0.0
    return round(max(0.0, min(100.0, 100.0 * (total - idle_delta) / total)), 1)


def _rate(before, after, field: str, elapsed: float) -> float:
    if after is None or elapsed <= 0:
        return 0.0
    delta = getattr(after, field) - (getattr(before, field) if before else 0)
    return max(0.0, delta / elapsed)


@dataclass(frozen=True)
class Snapshot:
    """This host at one moment: what /v1/uptime/ and the host tile show."""

    taken: float  # time.monotonic()
    uptime: str  # the uptime command's line
    seconds: float  # since boot
    reading: Reading
    disks: list[dict]


class Snapshots:
    """One snapshot, taken again at most once every `max_age` seconds.

    Requests read the snapshot they find; the first to find it too old takes the
    next one, while the others go on with the old one instead of waiting."""

    def __init__(self, max_age: float = 1.0):
        self.max_age = max_age
        self._meter = Meter()
        self._lock = threading.Lock()
        self._current: Snapshot | None = None

    def get(self) -> Snapshot:
        current = self._current
        if current is not None and time.monotonic() - current.taken < self.max_age:
            return current
        if not self._lock.acquire(blocking=current is None):
            return current  # another request is taking the next one
        try:
            current = self._current
            if current is None or time.monotonic() - current.taken >= self.max_age:
                current = self._current = self._take()
            return current
        finally:
            self._lock.release()

    def _take(self) -> Snapshot:
        taken = time.monotonic()
        reading = self._meter.read(min_interval=0.0)
        return Snapshot(taken, uptime_line(), uptime_seconds(), reading, disk_usage())


snapshots = Snapshots()  # this process's: the uptime API and the host tiles share it


# --- iostat -d ---------------------------------------------------------------

IOSTAT_HEADER = "Device:            tps    kB_read/s    kB_wrtn/s    kB_read    kB_wrtn"


def iostat_banner() -> str:
    return (
        f"{platform.system()} {platform.release()} ({socket.gethostname()}) \t"
        f"{datetime.now():%m/%d/%Y} \t_{platform.machine()}_\t({os.cpu_count()} CPU)"
    )


def _disk_counters() -> dict:
    counters = psutil.disk_io_counters(perdisk=True) or {}
    return {name: c for name, c in counters.items() if c.read_count + c.write_count > 0}


def _device_table(before: dict | None, after: dict, elapsed: float) -> str:
    rows = [IOSTAT_HEADER]
    for name in sorted(after):
        now, then = after[name], (before or {}).get(name)
        ios = now.read_count + now.write_count - (then.read_count + then.write_count if then else 0)
        kb_read = (now.read_bytes - (then.read_bytes if then else 0)) // 1024
        kb_wrtn = (now.write_bytes - (then.write_bytes if then else 0)) // 1024
        rows.append(
            f"{name:<13s} {ios / elapsed:8.2f} {kb_read / elapsed:12.2f} "
            f"{kb_wrtn / elapsed:12.2f} {kb_read:10d} {kb_wrtn:10d}"
        )
    return "\n".join(rows)


def iostat_report(count: int, wait: int, sleep=time.sleep, on_report=None) -> str:
    """A device table in the format of `iostat -d wait count`.

    The first report covers the time since boot, each next one the `wait` seconds
    before it. `sleep` lets a task wait in small steps and stop when cancelled;
    `on_report(done, count)` is called after each report.
    """
    reports = [iostat_banner()]
    before, started = None, None
    for n in range(count):
        if n:
            sleep(wait)
        after, now = _disk_counters(), time.monotonic()
        elapsed = uptime_seconds() if before is None else now - started
        reports.append(_device_table(before, after, max(elapsed, 1e-6)))
        before, started = after, now
        if on_report:
            on_report(n + 1, count)
    return "\n\n".join(reports) + "\n"
