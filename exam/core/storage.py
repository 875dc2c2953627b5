"""Where stored files live: uploads (dossiers, đề án, recordings, scans, staged imports) and
issued documents, on a directory or in an S3-compatible store.

Every file is named by a key, ``<area>/<name>``: ``uploads/…`` or ``documents/…``, the
names kept in the database rows (relative, as they always were) under their area. Two
backends answer the same calls (``storage()``):

- ``directory`` (the default, nothing to install): ``uploads/…`` is ``UPLOAD_DIR``,
  ``documents/…`` is ``DOCUMENTS_DIR`` (both under ``instance/`` unless set). Several nodes
  need that directory shared (NFS…): nothing here can tell a shared mount from a local disk,
  so docs/deployment.md says it, and the app does not guess.
- ``s3`` (``STORAGE_BACKEND=s3``): a bucket of an S3-compatible store (MinIO, Ceph, AWS…)
  through boto3, ``STORAGE_ENDPOINT_URL``, ``STORAGE_BUCKET``, ``STORAGE_REGION``,
  ``STORAGE_ACCESS_KEY_ID`` / ``STORAGE_SECRET_ACCESS_KEY`` (empty: boto3's own chain) and
  ``STORAGE_PREFIX`` (keys below it). Downloads are streamed by the app (``send``): an exam
  site's browsers may not reach the store, so no presigned address is ever handed out.

A file written before its row is tied to the transaction by ``exam/core/files.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from flask import Response, current_app, has_request_context, request, send_file
from werkzeug.exceptions import NotFound

AREAS = ("uploads", "documents")
BACKENDS = ("directory", "s3")
CHUNK = 1024 * 1024
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_SINGLE_RANGE = re.compile(r"bytes=(\d+-\d*|-\d+)")


class TooLarge(Exception):
    """A stream went past its limit while being stored; nothing was kept."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: dt.datetime  # UTC


def check_key(key: str) -> str:
    """``key`` if it names a file of an area (``uploads/ab12.pdf``), else ValueError: a key
    comes from a database row or a backup's manifest and never leaves its area."""
    parts = key.split("/") if isinstance(key, str) else []
    if len(parts) < 2 or parts[0] not in AREAS or not all(_PART.fullmatch(p) for p in parts):
        raise ValueError(f"not a stored file's key: {key!r}")
    return key


def _is_key(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return True


def _check_folder(folder: str) -> list[str]:
    parts = folder.strip("/").split("/")
    if parts[0] not in AREAS or not all(_PART.fullmatch(p) for p in parts):
        raise ValueError(f"not a stored folder: {folder!r}")
    return parts


class Measured:
    """A stream read through: its size and SHA-256 counted, ``TooLarge`` past ``limit``."""

    def __init__(self, stream: BinaryIO, limit: int | None = None) -> None:
        self._stream, self._limit = stream, limit
        self.size, self._digest = 0, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.size += len(chunk)
        if self._limit is not None and self.size > self._limit:
            raise TooLarge
        self._digest.update(chunk)
        return chunk

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


class Storage(Protocol):
    """What every backend answers; keys as ``check_key`` accepts them."""

    def put(self, key: str, data: bytes | BinaryIO, *, exclusive: bool = False) -> None:
        """Store ``data`` (bytes, or a stream read in chunks) under ``key``; with
        ``exclusive`` an existing file is FileExistsError, never replaced."""

    def open(self, key: str) -> BinaryIO:
        """The file for reading; FileNotFoundError when there is none."""

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the file; nothing happens when there is none."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """The file's size; FileNotFoundError when there is none."""

    def stat(self, key: str) -> StoredObject:
        """The file's size and time of writing; FileNotFoundError when there is none."""

    def listing(self, folder: str, *, recursive: bool = True) -> Iterator[StoredObject]:
        """The files under ``folder`` (``uploads``, ``uploads/imports``), sorted by key;
        without ``recursive`` only those directly in it."""

    def send(
        self, key: str, *, download_name: str, mimetype: str, as_attachment: bool = True
    ) -> Response:
        """The file as a private, uncached response streamed by the app (a single Range
        answered 206); 404 (NotFound) when there is none."""


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- On a directory --------------------------------------------------------------------------


class DirectoryStorage:
    """Each area in its folder; a file is written whole or not at all."""

    def __init__(self, roots: Mapping[str, Path]) -> None:
        self.roots = {area: Path(root) for area, root in roots.items()}

    def path(self, key: str) -> Path:
        area, _, rest = check_key(key).partition("/")
        return self.roots[area].joinpath(*rest.split("/"))

    def put(self, key: str, data: bytes | BinaryIO, *, exclusive: bool = False) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            target, mode = path, "xb"  # O_EXCL: two writers of one key, one succeeds
        else:
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            os.close(handle)
            target, mode = Path(name), "wb"
        try:
            with open(target, mode) as file:
                if isinstance(data, bytes | bytearray | memoryview):
                    file.write(data)
                else:
                    while chunk := data.read(CHUNK):
                        file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            if not exclusive:
                os.replace(target, path)
        except FileExistsError:
            raise
        except BaseException:
            target.unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def stat(self, key: str) -> StoredObject:
        found = self.path(key).stat()
        return StoredObject(key, found.st_size, dt.datetime.fromtimestamp(found.st_mtime, dt.UTC))

    def listing(self, folder: str, *, recursive: bool = True) -> Iterator[StoredObject]:
        parts = _check_folder(folder)
        base = self.roots[parts[0]].joinpath(*parts[1:])
        if not base.is_dir():
            return
        found = base.rglob("*") if recursive else base.iterdir()
        for path in sorted(found):
            key = f"{parts[0]}/{path.relative_to(self.roots[parts[0]]).as_posix()}"
            if not path.is_file() or not _is_key(key):  # a write in progress (.part-…), NFS's own
                continue
            stat = path.stat()
            yield StoredObject(
                key,
                stat.st_size,
                dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
            )

    def send(
        self, key: str, *, download_name: str, mimetype: str, as_attachment: bool = True
    ) -> Response:
        path = self.path(key)
        if not path.is_file():
            raise NotFound()
        response = send_file(
            path,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,  # werkzeug adds RFC 5987 filename*
            conditional=True,  # Range requests answered 206 (a recording's seek)
            max_age=0,
        )
        return _private(response)


# --- In an S3-compatible store ---------------------------------------------------------------


def s3_client(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> Any:
    """A boto3 S3 client (boto3 imported only when a bucket is configured)."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        config=BotoConfig(
            signature_version="s3v4",
            s3={"addressing_style": "path"},  # MinIO and Ceph behind one host name
            retries={"max_attempts": 3, "mode": "standard"},
            # Checksums only where S3 requires them: the newer default (trailing CRC32 on
            # every upload) is refused by many S3-compatible stores (older MinIO, Ceph).
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


class S3Storage:
    """A bucket, below an optional prefix."""

    def __init__(self, client: Any, *, bucket: str, prefix: str = "") -> None:
        from boto3.s3.transfer import TransferConfig

        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # In the caller's thread: a stream's TooLarge reaches the caller, and a sync worker
        # starts no threads of its own.
        self.transfer = TransferConfig(use_threads=False, multipart_chunksize=8 * CHUNK)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _missing(error: Exception) -> bool:
        code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("NoSuchKey", "404", "NotFound")

    def put(self, key: str, data: bytes | BinaryIO, *, exclusive: bool = False) -> None:
        from botocore.exceptions import ClientError

        name = self._name(key)
        if isinstance(data, bytes | bytearray | memoryview):
            extra = {"IfNoneMatch": "*"} if exclusive else {}
            try:
                self.client.put_object(Bucket=self.bucket, Key=name, Body=bytes(data), **extra)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if exclusive and code in ("PreconditionFailed", "412"):
                    raise FileExistsError(key) from None
                raise
            return
        # A stream (a recording of gigabytes) goes up in parts; its names are random, so a
        # look before the upload is enough to never replace a file.
        if exclusive and self.exists(key):
            raise FileExistsError(key)
        self.client.upload_fileobj(data, self.bucket, name, Config=self.transfer)

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as error:
            if self._missing(error):
                raise FileNotFoundError(key) from None
            raise

    def read(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._missing(error):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        return self.stat(key).size

    def stat(self, key: str) -> StoredObject:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return StoredObject(
            key, int(head["ContentLength"]), head["LastModified"].astimezone(dt.UTC)
        )

    def listing(self, folder: str, *, recursive: bool = True) -> Iterator[StoredObject]:
        parts = _check_folder(folder)
        prefix = self.prefix + "/".join(parts) + "/"
        options: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if not recursive:
            options["Delimiter"] = "/"
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(**options):
            for item in page.get("Contents", []):
                if not _is_key(item["Key"][len(self.prefix) :]):
                    continue  # not one of the app's files
                found.append(
                    StoredObject(
                        item["Key"][len(self.prefix) :],
                        int(item["Size"]),
                        item["LastModified"].astimezone(dt.UTC),
                    )
                )
        yield from sorted(found, key=lambda o: o.key)

    def send(
        self, key: str, *, download_name: str, mimetype: str, as_attachment: bool = True
    ) -> Response:
        from botocore.exceptions import ClientError

        options = {"Bucket": self.bucket, "Key": self._name(key)}
        wanted = request.headers.get("Range", "") if has_request_context() else ""
        if _SINGLE_RANGE.fullmatch(wanted.replace(" ", "")):
            options["Range"] = wanted.replace(" ", "")
        try:
            found = self.client.get_object(**options)
        except ClientError as error:
            if self._missing(error):
                raise NotFound() from None
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                response = Response(status=416)
                response.headers["Content-Range"] = f"bytes */{self.size(key)}"
                return _private(response)
            raise
        response = send_file(
            found["Body"],  # streamed in blocks, never held whole
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            conditional=False,
            etag=False,
            max_age=0,
        )
        response.content_length = int(found["ContentLength"])
        response.headers["Accept-Ranges"] = "bytes"
        if found.get("ContentRange"):
            response.status_code = 206
            response.headers["Content-Range"] = found["ContentRange"]
        return _private(response)


# --- The configured store ----------------------------------------------------------------------


def refuse_unusable_storage(config: Mapping[str, Any]) -> None:
    """A misnamed backend or a bucket left unnamed stops the start, not the first upload."""
    backend = str(config.get("STORAGE_BACKEND") or "directory")
    if backend not in BACKENDS:
        raise RuntimeError(f"STORAGE_BACKEND={backend!r}: expected one of {', '.join(BACKENDS)}.")
    if backend == "s3" and not config.get("STORAGE_BUCKET"):
        raise RuntimeError(
            "STORAGE_BACKEND=s3 needs STORAGE_BUCKET (and STORAGE_ENDPOINT_URL for a store "
            "other than AWS: MinIO, Ceph…)."
        )


def _directory_roots() -> dict[str, Path]:
    config, instance = current_app.config, Path(current_app.instance_path)
    return {
        "uploads": Path(config.get("UPLOAD_DIR") or instance / "uploads"),
        "documents": Path(config.get("DOCUMENTS_DIR") or instance / "documents"),
    }


def storage() -> Storage:
    """The app's store, as its settings say (a bucket's client is made once per app and
    connection settings; a directory's roots are read at each call, so a test may move
    them)."""
    config = current_app.config
    if str(config.get("STORAGE_BACKEND") or "directory") != "s3":
        return DirectoryStorage(_directory_roots())
    connection = (
        config.get("STORAGE_ENDPOINT_URL") or "",
        config.get("STORAGE_REGION") or "",
        config.get("STORAGE_ACCESS_KEY_ID") or "",
        config.get("STORAGE_SECRET_ACCESS_KEY") or "",
    )
    clients = current_app.extensions.setdefault("exam.storage_clients", {})
    if connection not in clients:
        endpoint, region, key_id, secret = connection
        clients[connection] = s3_client(
            endpoint_url=endpoint, region=region, access_key_id=key_id, secret_access_key=secret
        )
    return S3Storage(
        clients[connection],
        bucket=config["STORAGE_BUCKET"],
        prefix=config.get("STORAGE_PREFIX") or "",
    )


def copy_limited(
    store: Storage, key: str, stream: BinaryIO, limit: int | None = None
) -> tuple[int, str]:
    """Store ``stream`` under a new ``key`` (exclusive) in chunks; returns (size, SHA-256).
    Past ``limit`` nothing is kept and ``TooLarge`` is raised."""
    measured = Measured(stream, limit)
    try:
        store.put(key, measured, exclusive=True)  # type: ignore[arg-type]
    except TooLarge:
        store.delete(key)
        raise
    return measured.size, measured.sha256
