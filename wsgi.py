"""The WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``.

Settings by EXAM_ENV (config.py); unset, gunicorn runs production (which refuses to start
without a safe SECRET_KEY) and ``flask run`` development."""

from exam import create_app

app = create_app()
