from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    """Each test stores its dossier files in its own folder."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(folder))
    return folder
