"""The progress partial, served alone for htmx and inside a page otherwise.

GET /tasks/<id> and POST /tasks/<id>/cancel both answer templates/tasks/_progress.html;
it polls itself every 500 ms while the task runs, and the answer that finds the task
finished carries `HX-Trigger: done`. A task whose result names events for the page
(`{"events": {"series-changed": {"accounts": [3]}}}`) has them sent as well, in
`HX-Trigger-After-Settle`, so that only the parts of the page they concern refresh.
"""

import json

from flask import make_response, redirect, render_template, url_for

from statboard import live, tasks
from statboard.htmx import is_htmx, vary_on_htmx
from statboard.tasks import bp
from statboard.tasks.access import task_or_abort


def progress_response(task, status=200):
    """The partial for htmx, the task page otherwise; features answer task starts with it.

    The partial follows the task's live events from `live_since` on, so the task is read
    again after that id is taken: an end published while the caller held `task` would
    otherwise be older than the partial says, and never reach it.
    """
    since = live.last_id()
    task = tasks.get(task.id) or task
    template = "tasks/_progress.html" if is_htmx() else "tasks/task.html"
    page = render_template(template, task=task, live_since=since)
    response = vary_on_htmx(make_response(page, status))
    if task.finished:
        response.headers["HX-Trigger"] = "done"
        events = task.result.get("events") if isinstance(task.result, dict) else None
        if events:
            response.headers["HX-Trigger-After-Settle"] = json.dumps(events)
    return response


@bp.get("/tasks/<task_id>")
def show(task_id):
    return progress_response(task_or_abort(task_id))


@bp.post("/tasks/<task_id>/cancel")
def cancel(task_id):
    task_or_abort(task_id)
    tasks.cancel(task_id)
    if not is_htmx():
        return redirect(url_for("tasks.show", task_id=task_id), 303)
    return progress_response(tasks.get(task_id))
