"""Importing the original CSV files: idempotent, line-by-line errors, browser uploads."""

import io
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from statboard import storage, tasks
from statboard.extensions import db
from statboard.series.importer import BATCH_ROWS, import_files
from statboard.series.models import Account, Sample
from statboard.series.uploads import IMPORTS
from statboard.tasks.runner import wait_for

from tests.fixtures.images import s3_storage_url
from tests.series_helpers import login_htmx

DATA = Path(__file__).parent / "data"
SHARED = Path("/work/shared/data/followers")


def sample_counts(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Account.handle, db.func.count(Sample.id))
            .join(Sample, isouter=True)
            .group_by(Account.handle)
        )
        return dict(rows.all())


def line_counts(folder: Path) -> dict[str, int]:
    """The samples each <handle>-followers.csv file of a folder holds: one a line."""
    return {
        p.name.removesuffix("-followers.csv"): len(p.read_text().splitlines())
        for p in folder.glob("*-followers.csv")
    }


def test_import_is_idempotent_and_twitstats_gives_the_file_back_byte_for_byte(app, runner):
    original = DATA / "weatherbot-followers.csv"
    first = runner.invoke(args=["series", "import", str(DATA)])
    assert first.exit_code == 0, first.output
    lines = original.read_text().splitlines()
    assert sample_counts(app) == line_counts(DATA)
    again = runner.invoke(args=["series", "import", str(original)])
    assert again.exit_code == 0
    assert "0 samples added" in again.output and f"{len(lines)} already there" in again.output
    with app.app_context():
        db.session.execute(db.update(Account).values(is_public=True))
        db.session.commit()
    response = app.test_client().get("/twitstats/weatherbot")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data == original.read_bytes()


@pytest.mark.skipif(not SHARED.exists(), reason="the shared sample folder is not on this machine")
def test_the_shared_sample_folder_imports_completely(app, runner):
    result = runner.invoke(args=["series", "import", str(SHARED)])
    assert result.exit_code == 0, result.output
    assert sample_counts(app) == line_counts(SHARED)


NASTY = (
    "\ufeff12-01-2013 03:50:04, 913\r\n"  # BOM and CRLF: fine
    "\r\n"  # blank: skipped
    "13-01-2013 03:50:02, 914\r\n"
    "32-01-2013 03:50:02, 915\r\n"  # 4: no such day
    "14-01-2013 03:50:02, -3\r\n"  # 5: negative
    "15-01-2013 03:50:02, 9.5\r\n"  # 6: not whole
    "16-01-2013 03:50:02, 917, extra\r\n"  # 7: extra column
    "13-01-2013 03:50:02, 914\r\n"  # 8: exact repeat: skipped quietly
    "13-01-2013 03:50:02, 999\r\n"  # 9: same time, other count
    "2013-01-17T03:50:02Z, 920\r\n"  # ISO, UTC
    "2013-01-18T05:50:02+02:00,921\r\n"  # ISO with offset: stored as UTC
    "yesterday, 5\r\n"  # 12: unreadable time
    "19-01-2013 03:50:02,\r\n"  # 13: no count
)


def test_bad_lines_are_reported_with_file_and_line_and_good_ones_kept(app, runner, tmp_path):
    path = tmp_path / "nasty-followers.csv"
    path.write_bytes(NASTY.encode())
    result = runner.invoke(args=["series", "import", str(path)])
    assert result.exit_code == 1
    for line in (4, 5, 6, 7, 9, 12, 13):
        assert f"nasty-followers.csv:{line}:" in result.output
    assert "nasty-followers.csv:8:" not in result.output
    assert "4 samples added" in result.output
    with app.app_context():
        rows = db.session.execute(
            db.select(Sample.taken_at, Sample.count).order_by(Sample.taken_at)
        ).all()
    assert [(at.isoformat(), n) for at, n in rows] == [
        ("2013-01-12T03:50:04", 913),
        ("2013-01-13T03:50:02", 914),
        ("2013-01-17T03:50:02", 920),
        ("2013-01-18T03:50:02", 921),
    ]


def zip_of(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(client, headers, filename, data):
    return client.post(
        "/series/import",
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_browser_import_of_a_zip_runs_as_a_task_with_progress(app, client, auth):
    headers = login_htmx(auth)
    data = zip_of(
        {
            "old/weatherbot-followers.csv": (DATA / "weatherbot-followers.csv").read_bytes(),
            "old/friend-followers.csv": b"01-01-2020 03:50:00, 5\nnot a line\n",
        }
    )
    response = upload(client, headers, "followers.zip", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div class="task-progress ')
    task_id = html.split('id="task-', 1)[1].split('"', 1)[0]
    with app.app_context():
        assert wait_for(task_id, 20).state == "SUCCESS"
    assert f'hx-get="/tasks/{task_id}"' in html  # polls the shared task route
    done = client.get(f"/tasks/{task_id}", headers={"HX-Request": "true"})
    text = done.get_data(as_text=True)
    assert done.headers["HX-Trigger"] == "done"
    assert "Imported " in text and "weatherbot (imported)" in text
    assert "friend-followers.csv:2:" in text and "hx-trigger" not in text
    assert sample_counts(app)["friend"] == 1
    assert sample_counts(app)["weatherbot"] > 600


@pytest.fixture
def s3_settings(settings, s3_endpoint):
    settings["STORAGE_URL"] = s3_storage_url(s3_endpoint, prefix=f"imports-{uuid.uuid4().hex}")
    return settings


def test_a_browser_import_travels_through_the_storage_engine(s3_settings, app, client, auth):
    """No shared disk: the upload goes to S3 (the task may run on another machine), the
    task reads it from there and deletes it; nothing lands in the instance folder."""
    headers = login_htmx(auth)
    with app.app_context():
        task = tasks.get(upload_task_id(client, headers))
        assert task.args["storage"] == s3_settings["STORAGE_URL"]
        assert task.args["key"].startswith(f"{IMPORTS}/") and "path" not in task.args
        assert wait_for(task.id, 20).state == "SUCCESS"
        assert list(storage.current().listing(IMPORTS)) == []  # deleted once imported
    assert sample_counts(app)["weatherbot"] > 600
    assert not (Path(app.instance_path) / "series-imports").exists()


def upload_task_id(client, headers) -> str:
    data = (DATA / "weatherbot-followers.csv").read_bytes()
    response = upload(client, headers, "weatherbot-followers.csv", data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True).split('id="task-', 1)[1].split('"', 1)[0]


def test_the_old_series_polling_route_is_gone(app, client, auth):
    login_htmx(auth)
    assert client.get("/series/tasks/anything", headers={"HX-Request": "true"}).status_code == 404


def test_a_single_large_file_reports_progress_per_batch_of_lines(app):
    lines = [f"{day % 28 + 1:02d}-{day // 28 % 12 + 1:02d}-{2000 + day // 336} 03:50:00, {day}"
             for day in range(1000)]  # fmt: skip
    data = ("\n".join(lines) + "\n").encode()
    steps = []
    with app.app_context():
        report = import_files(
            [("bigfile-followers.csv", data)],
            progress=lambda size, name: steps.append((size, name)),
        )
    assert report.added == 1000 and not report.bad_lines
    assert len(steps) == 1000 // BATCH_ROWS  # one step per batch, not one per file
    assert all(size > 0 and name == "bigfile-followers.csv" for size, name in steps)
    assert sum(size for size, _ in steps) == len(data)


def test_a_browser_import_of_one_file_moves_its_bar_before_the_end(app, client, auth):
    headers = login_htmx(auth)
    lines = [f"{day % 28 + 1:02d}-{day // 28 % 12 + 1:02d}-{2000 + day // 336} 03:50:00, {day}"
             for day in range(6000)]  # fmt: skip
    response = upload(client, headers, "big-followers.csv", "\n".join(lines).encode())
    task_id = response.get_data(as_text=True).split('id="task-', 1)[1].split('"', 1)[0]
    seen = set()
    with app.app_context():
        deadline = time.monotonic() + 30
        while (task := tasks.get(task_id)).state not in tasks.FINISHED:
            assert time.monotonic() < deadline, "the import did not finish"
            seen.add(round(task.progress, 3))
            time.sleep(0.005)
    assert task.state == "SUCCESS" and task.result["added"] == 6000
    assert {p for p in seen if 0 < p < 1}, f"the bar only showed {sorted(seen)}"


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        (
            "evil.zip",
            zip_of({"../../etc/x-followers.csv": b"01-01-2020 03:50:00, 5\n"}),
            "outside its folder",
        ),
        ("bomb.zip", zip_of({"big-followers.csv": b"0" * 60_000_000}), "expands"),
        ("empty.zip", zip_of({"readme.txt": b"hello"}), "no .csv files"),
        ("broken.zip", b"PK\x03\x04 not really", "not a readable zip"),
        ("photo.png", b"\x89PNG....", "Upload a .csv"),
        ("empty-followers.csv", b"", "empty"),
    ],
)
def test_dangerous_or_useless_uploads_are_refused(app, client, auth, filename, data, message):
    response = upload(client, login_htmx(auth), filename, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert sample_counts(app) == {}


def test_visitors_and_users_cannot_import(app, client, auth):
    csv = b"01-01-2020 03:50:00, 5\n"
    headers = {**auth.csrf(), "HX-Request": "true"}
    assert upload(client, headers, "a-followers.csv", csv).status_code == 401
    headers = login_htmx(auth, admin=False)
    assert upload(client, headers, "a-followers.csv", csv).status_code == 403
    assert sample_counts(app) == {}


def test_a_refused_upload_without_javascript_gets_a_page_saying_why(app, client, auth):
    headers = login_htmx(auth)
    response = upload(client, {"X-CSRFToken": headers["X-CSRFToken"]}, "notes.txt", b"hello")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html and "Upload a .csv file" in html
