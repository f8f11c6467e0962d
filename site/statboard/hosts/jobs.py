"""Background work of the hosts feature: the iostat task and the periodic jobs."""

import time

from statboard.extensions import db
from statboard.hosts import history, remote
from statboard.hosts.metrics import Meter, iostat_report
from statboard.tasks.registry import task
from statboard.tasks.schedule import every

CANCEL_POLL_SECONDS = 0.2
_sampler_meter = Meter()


@task("hosts.iostat")
def iostat_task(ctx, count: int = 1, wait: int = 1):
    """`iostat -d wait count` as a task; a cancel stops it between two checks."""

    def sleep_unless_cancelled(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ctx.check_cancelled()
            time.sleep(min(CANCEL_POLL_SECONDS, left))
        ctx.check_cancelled()

    def report_done(done: int, total: int) -> None:
        ctx.progress(done / total, f"{done} of {total} reports")

    ctx.check_cancelled()
    return {"iostat": iostat_report(count, wait, sleep_unless_cancelled, report_done)}


@every("HOST_SAMPLE_SECONDS", name="hosts.sample")
def sample_this_host():
    history.record(_sampler_meter.read(min_interval=0))
    db.session.commit()


@every("HOST_ROLLUP_SECONDS", name="hosts.rollup")
def roll_up_and_prune():
    history.roll_up()
    history.prune()
    db.session.commit()


@every("HOST_CHECK_SECONDS", name="hosts.check")
def check_remote_hosts():
    remote.check_all()
    db.session.commit()  # records the checks, then announces hosts that went down or up
