"""A background job's progress block (templates/_macros/jobs.html::job_progress) carries what
static/js/job-progress.js updates: each data-job-field the script reads, the bar labelled by
its id, and the reload link for a browser without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from flask import Flask

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "job-progress.js"


def _status(total: int) -> SimpleNamespace:
    return SimpleNamespace(percent=40, message="Đang đọc <tệp>", total=total, done=4)


def _block(app: Flask, total: int, **kwargs) -> str:
    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("_macros/jobs.html").module.job_progress
        return str(macro(_status(total), "Tiến độ nhập hồ sơ", "/jobs/5", **kwargs))


def test_the_block_has_every_field_the_script_updates_but_the_page_s_status(app):
    read = set(re.findall(r'field\("(\w+)"\)', SCRIPT.read_text(encoding="utf-8")))
    shown = set(re.findall(r'data-job-field="(\w+)"', _block(app, total=10)))

    assert read - shown == {"status_title"}  # the page's own status line, finished or not
    assert shown == {"progress", "message", "counts", "reload"}


def test_the_bar_is_labelled_and_the_message_escaped(app):
    html = _block(app, total=10)

    assert '<label for="job-progress" class="form-label">Tiến độ nhập hồ sơ</label>' in html
    assert '<progress id="job-progress" class="job-progress' in html
    assert 'max="100" value="40"' in html
    assert "(4/10 dòng)" in html
    assert "Đang đọc &lt;tệp&gt;" in html
    assert '<a href="/jobs/5" data-job-field="reload">Tải lại trang để xem tiến độ</a>' in html
    assert 'aria-live="polite"' in html


def test_no_counts_before_the_total_is_known_and_another_id_when_asked(app):
    html = _block(app, total=0, id="decision-progress-3")

    assert 'data-job-field="counts"' not in html
    assert '<label for="decision-progress-3"' in html
    assert '<progress id="decision-progress-3"' in html
