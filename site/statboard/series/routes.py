"""In-place routes of chart blocks: range swaps, accounts, collect now, imports."""

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from statboard import tasks
from statboard.auth.access import admin_required, require_login
from statboard.extensions import db
from statboard.htmx import is_htmx, vary_on_htmx
from statboard.notify import after_commit
from statboard.pages.models import Block
from statboard.pages.services import block_url
from statboard.series import accounts, bp
from statboard.series.charts import chart_context
from statboard.series.forms import AccountEditForm, AccountForm
from statboard.series.models import Account
from statboard.series.uploads import UploadRefused, save_upload
from statboard.tasks.routes import progress_response


def get_chart_block(block_id: int) -> Block:
    block = db.get_or_404(Block, block_id)
    if block.kind != "chart":
        abort(404, "That block is not a chart.")
    if not block.page.is_public:
        require_login()
    return block


def render_block(block: Block, status: int = 200, add_form=None):
    """The whole chart block, as a fragment (htmx) or alone on a page."""
    ctx = chart_context(block, request.args.get("range"))
    template = "blocks/chart/_view.html" if is_htmx() else "series/block.html"
    return render_template(template, block=block, ctx=ctx, add_form=add_form), status


@bp.get("/series/blocks/<int:block_id>")
def chart(block_id: int):
    """A range swap (htmx: the chart body) or the block alone on a page (no JavaScript)."""
    block = get_chart_block(block_id)
    ctx = chart_context(block, request.args.get("range"))
    if is_htmx():
        return vary_on_htmx(
            make_response(render_template("series/_chart_body.html", block=block, ctx=ctx))
        )
    return vary_on_htmx(make_response(render_template("series/block.html", block=block, ctx=ctx)))


def back_to(block: Block):
    return redirect(block_url(block), 303)


@bp.post("/series/blocks/<int:block_id>/accounts")
@admin_required
def add_account(block_id: int):
    block = get_chart_block(block_id)
    form = AccountForm()
    if form.validate_on_submit():
        try:
            account = accounts.add_to_block(
                block, form.platform.data, form.handle.data, form.is_public.data
            )
        except accounts.AccountError as exc:
            form.handle.errors = [str(exc)]
        else:
            after_commit(
                tasks.submit, "series.collect", owner=current_user.id, account_ids=[account.id]
            )
            db.session.commit()
            return render_block(block) if is_htmx() else back_to(block)
    db.session.rollback()
    return render_block(block, 422, add_form=form)


def block_arg() -> int | None:
    """The chart block an account row sits in, carried in its URLs as ?block=."""
    return request.args.get("block", type=int)


def get_account(account_id: int) -> Account:
    return db.get_or_404(Account, account_id)


@bp.get("/series/accounts/<int:account_id>")
@admin_required
def account_row(account_id: int):
    return render_template(
        "series/_account.html", account=get_account(account_id), block_id=block_arg()
    )


@bp.get("/series/accounts/<int:account_id>/edit")
@admin_required
def edit_account(account_id: int):
    account = get_account(account_id)
    form = AccountEditForm(
        data={
            "handle": account.handle,
            "is_public": account.is_public,
            "readers": accounts.readers_text(account),
        }
    )
    return render_template(
        "series/_account_edit.html", account=account, form=form, block_id=block_arg()
    )


@bp.route("/series/accounts/<int:account_id>", methods=["PUT", "POST"])
@admin_required
def update_account(account_id: int):
    account = get_account(account_id)
    form = AccountEditForm()
    if form.validate_on_submit():
        try:
            accounts.update(account, form.handle.data, form.is_public.data, form.readers.data)
        except accounts.AccountError as exc:
            form.handle.errors = [str(exc)]
        else:
            db.session.commit()
            if not is_htmx():
                return redirect(request.referrer or "/", 303)
            return render_template("series/_account.html", account=account, block_id=block_arg())
    db.session.rollback()
    edit = render_template(
        "series/_account_edit.html", account=account, form=form, block_id=block_arg()
    )
    return edit, 422


@bp.get("/series/blocks/<int:block_id>/accounts/<int:account_id>/delete")
@admin_required
def confirm_remove_account(block_id: int, account_id: int):
    """Without JavaScript, Remove asks here what hx-confirm asks in the browser."""
    block, account = get_chart_block(block_id), get_account(account_id)
    return render_template("series/confirm_remove.html", block=block, account=account)


@bp.delete("/series/blocks/<int:block_id>/accounts/<int:account_id>")
@bp.post("/series/blocks/<int:block_id>/accounts/<int:account_id>/delete")
@admin_required
def remove_account(block_id: int, account_id: int):
    block = get_chart_block(block_id)
    accounts.remove(get_account(account_id))
    db.session.commit()
    db.session.refresh(block)
    return render_block(block) if is_htmx() else back_to(block)


@bp.post("/series/collect")
@admin_required
def collect_now():
    running = db.session.scalar(
        db.select(tasks.Task)
        .where(
            tasks.Task.kind == "series.collect", tasks.Task.state.in_([tasks.QUEUED, tasks.STARTED])
        )
        .limit(1)
    )
    task_id = running.id if running else tasks.submit("series.collect", owner=current_user.id)
    return progress_fragment(task_id)


@bp.post("/series/import")
@admin_required
def upload_import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return import_error("Choose a CSV or zip file to import.")
    try:
        path = save_upload(upload.filename, upload.read())
    except UploadRefused as exc:
        return import_error(str(exc))
    task_id = tasks.submit(
        "series.import", owner=current_user.id, path=str(path), name=upload.filename[:200]
    )
    return progress_fragment(task_id)


def import_error(message: str):
    if not is_htmx():
        abort(422, message)  # the error page, for a form posted without JavaScript
    return render_template("series/_import_error.html", message=message), 422


def progress_fragment(task_id: str):
    """The shared progress partial (it polls /tasks/<id>); without htmx, the task's page."""
    if not is_htmx():
        return redirect(url_for("tasks.show", task_id=task_id), 303)
    return progress_response(tasks.get(task_id))
