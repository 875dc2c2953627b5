"""Settings, read from the environment. Secrets never live in the repository."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults for development: an embedded SQLite database under ``instance/``."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'exam.sqlite3'}"
    )
    # No ping before each request: on PostgreSQL it is a round trip per request, about a
    # tenth of an autosave. After a database restart each worker's first query fails once
    # and SQLAlchemy then renews its pool (the exam page retries its saves). Where a
    # firewall or a pooler drops idle connections, set DATABASE_PRE_PING=1.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {
        "pool_pre_ping": _bool("DATABASE_PRE_PING", False),
        "pool_recycle": 3600,
    }
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024))

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # A session ends after this long without a request (the exam page's poll and autosave
    # count: a sitting, extra time included, never idles out), and this long after signing
    # in whatever happened (exam/accounts/sessions.py).
    SESSION_IDLE_MINUTES_STAFF = int(os.environ.get("SESSION_IDLE_MINUTES_STAFF", 30))
    SESSION_IDLE_MINUTES_CANDIDATE = int(os.environ.get("SESSION_IDLE_MINUTES_CANDIDATE", 240))
    PERMANENT_SESSION_LIFETIME = dt.timedelta(hours=int(os.environ.get("SESSION_MAX_HOURS", 12)))
    REMEMBER_COOKIE_DURATION = PERMANENT_SESSION_LIFETIME

    WTF_CSRF_ENABLED = True
    # The token lives as long as the session (Flask-WTF's default is an hour): the exam page
    # sends the token it was served with until the end, and a sitting may last longer.
    WTF_CSRF_TIME_LIMIT = None
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # Sign-in attempts on one account from one address, and from one address in all: an
    # exam site behind one address (NAT) signs in hundreds of candidates in its first minutes.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    LOGIN_RATE_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_RATE_LIMIT_PER_ADDRESS", "600 per minute")
    # Registrations naming one address (each may e-mail its owner), and from one address.
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "5 per hour")
    REGISTER_RATE_LIMIT_PER_ADDRESS = os.environ.get(
        "REGISTER_RATE_LIMIT_PER_ADDRESS", "60 per hour"
    )
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto are then
    # believed, and the limits above count the client's address, not the proxy's.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))

    # Grace for answers already in flight when the deadline passes (seconds).
    ANSWER_GRACE_SECONDS = int(os.environ.get("ANSWER_GRACE_SECONDS", 5))
    # Autosave: answers in one request (the page sends one per question of its paper; more
    # is answered 413). Answers refused by a closed paper are kept as evidence up to these
    # numbers a minute and in all, then only counted (429 with Retry-After).
    MAX_ANSWERS_PER_SAVE = int(os.environ.get("MAX_ANSWERS_PER_SAVE", 1000))
    REFUSED_EVIDENCE_PER_MINUTE = int(os.environ.get("REFUSED_EVIDENCE_PER_MINUTE", 50))
    REFUSED_EVIDENCE_PER_PAPER = int(os.environ.get("REFUSED_EVIDENCE_PER_PAPER", 1000))
    # Wrong session codes on one paper's start page: this many in the window, and the
    # paper takes no code (not even the right one) until the window has passed. A short
    # window: a candidate who mistypes must not lose much of the late-entry time, while
    # 5 guesses in 3 minutes at a 6-character code (≈10⁹ codes) would take centuries.
    START_CODE_TRIES = int(os.environ.get("START_CODE_TRIES", 5))
    START_CODE_WINDOW_MINUTES = int(os.environ.get("START_CODE_WINDOW_MINUTES", 3))

    # Dossier files: stored outside the web root under generated names (issue 3).
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    # The đề án (PDF) and the interview sessions' recordings (audio or video; issue 15).
    PLAN_MAX_BYTES = int(os.environ.get("PLAN_MAX_BYTES", 20 * 1024 * 1024))
    RECORDING_MAX_BYTES = int(os.environ.get("RECORDING_MAX_BYTES", 2 * 1024 * 1024 * 1024))
    # Issued official documents (exam/documents): their bytes as issued, kept for good, and
    # the largest PDF the public verification page accepts to compare with one.
    DOCUMENTS_DIR = os.environ.get("DOCUMENTS_DIR", str(INSTANCE_DIR / "documents"))
    VERIFY_UPLOAD_MAX_BYTES = int(os.environ.get("VERIFY_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    # Where those files live (exam/core/storage.py): "directory" (UPLOAD_DIR and DOCUMENTS_DIR;
    # several nodes must mount one shared directory) or "s3", a bucket of an S3-compatible
    # store every node reaches (MinIO, Ceph, AWS): its address, bucket, region, keys (empty:
    # boto3's own chain, e.g. an instance role) and a prefix for the keys.
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "directory")
    STORAGE_ENDPOINT_URL = os.environ.get("STORAGE_ENDPOINT_URL", "")
    STORAGE_BUCKET = os.environ.get("STORAGE_BUCKET", "")
    STORAGE_REGION = os.environ.get("STORAGE_REGION", "")
    STORAGE_ACCESS_KEY_ID = os.environ.get("STORAGE_ACCESS_KEY_ID", "")
    STORAGE_SECRET_ACCESS_KEY = os.environ.get("STORAGE_SECRET_ACCESS_KEY", "")
    STORAGE_PREFIX = os.environ.get("STORAGE_PREFIX", "")
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
    # A public PDF rendered on request (the round's announcement): per address.
    PUBLIC_PDF_RATE_LIMIT = os.environ.get("PUBLIC_PDF_RATE_LIMIT", "20 per minute")
    # The scanned signed paper form of a member's sheet (PDF, JPEG or PNG; issue 15).
    SHEET_SCAN_MAX_BYTES = int(os.environ.get("SHEET_SCAN_MAX_BYTES", 10 * 1024 * 1024))

    # The audit trail (README, Rules). AUDIT_KEY signs the pending journal's rows (empty: a
    # key derived from SECRET_KEY); the anchor file keeps the chain's heads outside the
    # database (empty: none kept). Back the file up away from the database.
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    AUDIT_ANCHOR_FILE = os.environ.get("AUDIT_ANCHOR_FILE", str(INSTANCE_DIR / "audit-anchors.txt"))

    # E-mail notices, delivered from the outbox by `flask notices send`.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Hoi dong thi tuyen <thituyen@localhost>")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)  # STARTTLS
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)  # SMTP over TLS (port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", 10))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", 10))

    # Links e-mailed to set a password: an invitation (imported candidates, new staff) and
    # "forgot password". Single use; valid this long.
    INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", 7))
    PASSWORD_RESET_VALID_MINUTES = int(os.environ.get("PASSWORD_RESET_VALID_MINUTES", 60))
    # The site's address as people reach it (https://thituyen.example.vn): the links in
    # e-mails are built on it rather than on the request's Host header, which anyone sets.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    # "Forgot password" per address and account, and per address (an exam site behind one
    # NAT); a link's page (its token cannot be guessed: this bounds the password checks).
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per 15 minutes")
    PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS = os.environ.get(
        "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS", "120 per 15 minutes"
    )
    PASSWORD_LINK_RATE_LIMIT = os.environ.get("PASSWORD_LINK_RATE_LIMIT", "60 per minute")
    # Background jobs (exam/core/jobs.py): run in a thread of the worker, or by `flask jobs
    # work` from the database (JOBS_QUEUE=database) or from an RQ queue in Redis (the default
    # when REDIS_URL is set: several nodes); a job silent this long is shown as interrupted.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "")
    JOBS_TIMEOUT_SECONDS = int(os.environ.get("JOBS_TIMEOUT_SECONDS", 3600))
    # Tests only (TestingConfig), not an operator setting: run inside the POST that starts
    # it, on SQLite a job's progress writes would wait for that request's own write lock.
    JOBS_RUN_INLINE = False
    JOBS_LOST_AFTER_SECONDS = int(os.environ.get("JOBS_LOST_AFTER_SECONDS", 900))
    # Worker processes rendering the chunks of a long PDF side by side (exam/core/pdf.py).
    PDF_WORKERS = int(os.environ.get("PDF_WORKERS", min(2, os.cpu_count() or 1)))


def _production_secret_key() -> str:
    """SECRET_KEY from the environment, else from SECRET_KEY_FILE (``make serve`` writes
    ``instance/secret_key`` once, readable by its owner only). exam.core.secret_key checks it."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    try:
        return Path(SECRET_KEY_FILE).read_text().strip()
    except (FileNotFoundError, PermissionError):
        return ""


SECRET_KEY_FILE = os.environ.get("SECRET_KEY_FILE", str(INSTANCE_DIR / "secret_key"))


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = _production_secret_key()
    SECRET_KEY_FILE = SECRET_KEY_FILE
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PASSWORD_HASH_CHEAP = True  # argon2 at full cost would dominate the suite's time
    AUDIT_ANCHOR_FILE = ""  # each test rolls its database back: tests that anchor set a file
    JOBS_RUN_INLINE = True  # background jobs run in the request (one test uses the thread)
    PDF_WORKERS = 1  # long PDFs in the test's process (one test uses the worker processes)
    UPLOAD_DIR = os.path.join(tempfile.gettempdir(), "exam-test-uploads")
    DOCUMENTS_DIR = os.path.join(tempfile.gettempdir(), "exam-test-documents")


CONFIGS = {
    "development": Config,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_environment() -> type[Config]:
    """EXAM_ENV's settings; production by default under gunicorn (the exam-day server), so
    that it never signs sessions with the development key written above."""
    under_gunicorn = os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn")
    name = os.environ.get("EXAM_ENV") or ("production" if under_gunicorn else "development")
    if name not in CONFIGS:
        raise RuntimeError(f"EXAM_ENV={name!r}: expected one of {', '.join(CONFIGS)}.")
    return CONFIGS[name]
