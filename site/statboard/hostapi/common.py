"""What the v1, v2 and v3 host APIs share: links, iostat parameters, task bodies.

Anonymous callers (/v1, /v2) get smaller iostat limits (IOSTAT_ANONYMOUS_*), a number
of samplings per address (IOSTAT_RATE_LIMIT, 429 past it) and the anonymous task lane
(503 when it is full), so that they can hold neither the server's threads nor the
task threads that mail and imports need.
"""

import math
import re
import time

from flask import abort, current_app, request
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from statboard import tasks
from statboard.tasks import FAILURE, SUCCESS

IOSTAT_TASK = "hosts.iostat"
LANE_FULL_RETRY = 10  # seconds a caller is told to wait when the anonymous lane is full
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")

tasks.anonymous_kind(IOSTAT_TASK)  # ownerless samplings (/v2) run in the anonymous lane


def links(*pairs: tuple[str, str]) -> dict:
    return {"links": [{"rel": rel, "href": href} for rel, href in pairs]}


def request_values() -> dict:
    """Query string, form fields and a JSON object body, later ones winning."""
    values = dict(request.args.items())
    values.update(request.form.items())
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict):
        values.update(body)
    return values


def _integer(values: dict, name: str) -> int:
    value = values.get(name, 1)
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and _INTEGER.match(value))
    ):
        abort(400, f"{name} must be a whole number, e.g. {name}=2.")
    value = int(value)
    if value < 1:
        abort(400, f"{name} must be at least 1.")
    return value


def iostat_params(values: dict, anonymous: bool = False) -> tuple[int, int]:
    """count and wait of an iostat request, or a 400 that says what to fix."""
    count, wait = _integer(values, "count"), _integer(values, "wait")
    if count == 1 and wait != 1:
        abort(400, "wait must be 1 when count is 1: a single report does not wait.")
    limits = "IOSTAT_ANONYMOUS_" if anonymous else "IOSTAT_"
    max_count = int(current_app.config[limits + "MAX_COUNT"])
    max_seconds = int(current_app.config[limits + "MAX_SECONDS"])
    if count > max_count:
        abort(400, f"count must be at most {max_count}; ask for fewer reports.")
    if count * wait > max_seconds:
        abort(
            400,
            f"count x wait must be at most {max_seconds} seconds; "
            "ask for fewer or shorter reports.",
        )
    return count, wait


def anonymous_iostat_params() -> tuple[int, int]:
    """count and wait of an anonymous iostat request, counted against its address."""
    count, wait = iostat_params(request_values(), anonymous=True)
    limit_address()
    return count, wait


def limit_address() -> None:
    """IOSTAT_RATE_LIMIT samplings per client address, or a 429 saying when to retry."""
    limit = current_app.config["IOSTAT_RATE_LIMIT"]
    if not limit:
        return
    limiter, item = _limiter(limit)
    address = request.remote_addr or "unknown"
    if limiter.hit(item, "iostat", address):
        return
    reset_at, _ = limiter.get_window_stats(item, "iostat", address)
    wait = max(1, math.ceil(reset_at - time.time()))
    raise TooManyRequests(
        f"Too many samplings from your address: at most {item.amount} per "
        f"{item.multiples} {item.GRANULARITY.name}. Try again in {wait} s.",
        retry_after=wait,
    )


def _limiter(limit: str):
    """This app's limiter (per process, in memory) and its parsed limit."""
    key = "hostapi.iostat_limit"
    if key not in current_app.extensions:
        from limits import parse, storage, strategies  # 3 MB: only once iostat is asked

        limiter = strategies.FixedWindowRateLimiter(storage.MemoryStorage())
        current_app.extensions[key] = (limiter, parse(limit))
    return current_app.extensions[key]


def start_iostat(prefix: str, owner=None):
    """Submit the sampling task: the 201 answer of POST {prefix}/iostat/."""
    if owner is None:
        count, wait = anonymous_iostat_params()
    else:
        count, wait = iostat_params(request_values())
    try:
        task_id = tasks.submit(IOSTAT_TASK, owner=owner, count=count, wait=wait)
    except tasks.LaneFull:
        raise ServiceUnavailable(
            f"Too many samplings are waiting to run; try again in {LANE_FULL_RETRY} s.",
            retry_after=LANE_FULL_RETRY,
        ) from None
    href = f"{prefix}/task/{task_id}"
    body = {"task_id": task_id, "links": [{"rel": "task", "href": href}]}
    return body, 201, {"Location": href}


def find_task(task_id: str, owner_id: int | None):
    """The iostat task with this id if `owner_id` owns it (None: ownerless v2 tasks)."""
    task = tasks.get(task_id) if len(task_id) <= 36 else None
    if task is None or task.kind != IOSTAT_TASK or task.owner_id != owner_id:
        abort(404, f"There is no task {task_id}; start one with POST to the iostat URL.")
    return task


def task_body(task, prefix: str) -> dict:
    href = f"{prefix}/task/{task.id}"
    body = {"task_id": task.id, "state": task.state, "links": [{"rel": "self", "href": href}]}
    if not task.finished:
        body["links"].append({"rel": "cancel", "method": "DELETE", "href": href})
    if task.state == SUCCESS:
        body["result"] = task.result
    elif task.state == FAILURE:
        body["result"] = task.error
    return body


def cancel_task(task):
    tasks.cancel(task.id)
    return "", 204
