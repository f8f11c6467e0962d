"""In-place routes of chart blocks: range swaps, accounts, collect now, imports."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from statboard import tasks
from statboard.auth.access import admin_required
from statboard.extensions import db
from statboard.htmx import is_htmx
from statboard.notify import after_commit
from statboard.pages import blocks
from statboard.series import accounts, bp
from statboard.series.charts import chart_accounts, chart_context
from statboard.series.collectors import IMPORTED
from statboard.series.forms import AccountEditForm, AccountForm
from statboard.series.models import Account
from statboard.series.uploads import UploadRefused, save_upload
from statboard.tasks.routes import progress_response


def render_chart(block, status: int = 200, add_form=None):
    """The whole chart block: as a fragment (htmx), alone on a page, or back to its page."""
    ctx = chart_context(block, request.args.get("range"))
    return blocks.answer(block, "blocks/chart/_view.html", status, ctx=ctx, add_form=add_form)


@blocks.route(bp, "/chart", kinds="chart")
def chart(block):
    """A range swap (htmx: the chart body) or the block alone on a page (no JavaScript)."""
    if not is_htmx():
        return render_chart(block)
    ctx = chart_context(block, request.args.get("range"))
    return blocks.answer(block, "blocks/chart/_body.html", ctx=ctx)


@blocks.route(bp, "/accounts", kinds="chart", methods=["POST"], admin=True)
def add_account(block):
    form = AccountForm()
    if form.validate_on_submit():
        try:
            account = accounts.add_to_block(
                block, form.platform.data, form.handle.data, form.is_public.data, current_user
            )
        except accounts.AccountError as exc:
            form.handle.errors = [str(exc)]
        else:
            after_commit(
                tasks.submit, "series.collect", owner=current_user.id, account_ids=[account.id]
            )
            blocks.commit(block)
            return render_chart(block)
    db.session.rollback()
    return render_chart(block, 422, add_form=form)


def block_arg() -> int | None:
    """The chart block an account row sits in, carried in its URLs as ?block= (an id
    no row can have is none)."""
    block_id = request.args.get("block", type=int)
    return block_id if block_id is not None and 0 < block_id < 2**63 else None


def get_account(account_id: int) -> Account:
    return db.get_or_404(Account, account_id)


def account_answer(template: str, account: Account, status: int = 200, **ctx):
    """An account's row or editor: the fragment for htmx, on a page of its own otherwise."""
    ctx.update(account=account, block_id=block_arg())
    if is_htmx():
        return render_template(template, **ctx), status
    block = db.session.get(blocks.Block, ctx["block_id"]) if ctx["block_id"] else None
    back = blocks.url(block) if block else url_for("pages.show", slug="home")
    page = render_template(
        "blocks/chart/account_page.html", template=template, block=block, back=back, **ctx
    )
    return page, status


@bp.get("/series/accounts/<int:account_id>")
@admin_required
def account_row(account_id: int):
    return account_answer("blocks/chart/_account.html", get_account(account_id))


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
    return account_answer("blocks/chart/_account_edit.html", account, form=form)


@bp.route("/series/accounts/<int:account_id>", methods=["PUT", "POST"])
@admin_required
def update_account(account_id: int):
    account = get_account(account_id)
    form = AccountEditForm()
    if form.validate_on_submit():
        try:
            accounts.update(
                account, form.handle.data, form.is_public.data, form.readers.data, current_user
            )
        except accounts.AccountError as exc:
            form.handle.errors = [str(exc)]
        else:
            db.session.commit()
            if not is_htmx():
                return redirect(request.referrer or "/", 303)
            return render_template(
                "blocks/chart/_account.html", account=account, block_id=block_arg()
            )
    db.session.rollback()
    return account_answer("blocks/chart/_account_edit.html", account, 422, form=form)


@blocks.route(bp, "/accounts/<int:account_id>/delete", kinds="chart", admin=True)
def confirm_remove_account(block, account_id: int):
    """Without JavaScript, Remove asks here what hx-confirm asks in the browser."""
    account = get_account(account_id)
    return render_template("blocks/chart/confirm_remove.html", block=block, account=account)


@blocks.route(bp, "/accounts/<int:account_id>", kinds="chart", methods=["DELETE"], admin=True)
@blocks.route(bp, "/accounts/<int:account_id>/delete", kinds="chart", methods=["POST"], admin=True)
def remove_account(block, account_id: int):
    accounts.remove(get_account(account_id), current_user)
    blocks.commit(block)
    return render_chart(block)


blocks.moved(bp, "/series/blocks/<int:block_id>", "series.chart")
blocks.moved_prefix(bp, "/series/blocks")


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


@blocks.route(bp, "/collect", kinds="chart", methods=["POST"], admin=True)
def collect_block(block):
    """Collect now the accounts of this chart (not every account); the progress bar
    ends on which failed and why. Imported accounts are skipped: files fill them."""
    shown = chart_accounts(block, current_user)
    ids = [a.id for a in shown if a.platform != IMPORTED]
    if not ids:
        message = (
            "This chart has no accounts to collect: add one, or import its CSV file."
            if not shown
            else "This chart shows imported accounts only: import their files to update them."
        )
        return import_error(message)
    task_id = tasks.submit("series.collect", owner=current_user.id, account_ids=ids)
    return progress_fragment(task_id)


@bp.post("/series/import")
@admin_required
def upload_import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return import_error("Choose a CSV or zip file to import.")
    try:
        saved = save_upload(upload.filename, upload.read())
    except UploadRefused as exc:
        return import_error(str(exc))
    task_id = tasks.submit(
        "series.import", owner=current_user.id, **saved, name=upload.filename[:200]
    )
    return progress_fragment(task_id)


def import_error(message: str):
    if not is_htmx():
        abort(422, message)  # the error page, for a form posted without JavaScript
    return render_template("blocks/chart/_import_error.html", message=message), 422


def progress_fragment(task_id: str):
    """The shared progress partial (it polls /tasks/<id>); without htmx, the task's page."""
    if not is_htmx():
        return redirect(url_for("tasks.show", task_id=task_id), 303)
    return progress_response(tasks.get(task_id))
