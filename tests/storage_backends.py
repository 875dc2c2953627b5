"""Fixtures for the stored files on both backends (exam/core/storage.py): a real
S3-compatible server (moto's, in a thread on 127.0.0.1, started once for the session) and
``stored_on``, parametrised "directory" / "s3", which points the app's storage at a fresh
folder or a fresh prefix of the server's bucket. Only the storage-focused tests ask for it
(tests/storage/): the rest of the suite runs on the directory, as `make run` does."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from exam.core.storage import s3_client

BUCKET = "exam-test-files"
CREDENTIALS = {
    "STORAGE_REGION": "us-east-1",
    "STORAGE_ACCESS_KEY_ID": "testing",
    "STORAGE_SECRET_ACCESS_KEY": "testing",
}
_prefixes = itertools.count(1)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port, with the test bucket; its address."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = s3_client(
            endpoint_url=endpoint,
            region=CREDENTIALS["STORAGE_REGION"],
            access_key_id=CREDENTIALS["STORAGE_ACCESS_KEY_ID"],
            secret_access_key=CREDENTIALS["STORAGE_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def s3_settings(endpoint: str, prefix: str) -> dict[str, Any]:
    return {
        "STORAGE_BACKEND": "s3",
        "STORAGE_ENDPOINT_URL": endpoint,
        "STORAGE_BUCKET": BUCKET,
        "STORAGE_PREFIX": prefix,
        **CREDENTIALS,
    }


@pytest.fixture(params=["directory", "s3"])
def stored_on(request: pytest.FixtureRequest, app: Flask, tmp_path, monkeypatch) -> str:
    """The app's files on a fresh directory, then on a fresh prefix of the S3 bucket."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "documents"))
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_server")
        for name, value in s3_settings(endpoint, f"test-{next(_prefixes)}").items():
            monkeypatch.setitem(app.config, name, value)
    return request.param
