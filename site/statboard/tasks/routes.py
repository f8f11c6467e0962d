"""The progress partial, served alone for htmx and inside a page otherwise.

GET /tasks/<id> and POST /tasks/<id>/cancel both answer templates/tasks/_progress.html;
it polls itself every 500 ms while the task runs, and the answer that finds the task
finished carries `HX-Trigger: done`.
"""

from flask import make_response, redirect, render_template, request, url_for

from statboard import tasks
from statboard.tasks import bp
from statboard.tasks.access import task_or_abort


def progress_response(task, status=200):
    """The partial for htmx, the task page otherwise; features answer task starts with it."""
    if request.headers.get("HX-Request"):
        response = make_response(render_template("tasks/_progress.html", task=task), status)
    else:
        response = make_response(render_template("tasks/task.html", task=task), status)
    response.vary.add("HX-Request")
    if task.finished:
        response.headers["HX-Trigger"] = "done"
    return response


@bp.get("/tasks/<task_id>")
def show(task_id):
    return progress_response(task_or_abort(task_id))


@bp.post("/tasks/<task_id>/cancel")
def cancel(task_id):
    task_or_abort(task_id)
    tasks.cancel(task_id)
    if not request.headers.get("HX-Request"):
        return redirect(url_for("tasks.show", task_id=task_id), 303)
    return progress_response(tasks.get(task_id))
