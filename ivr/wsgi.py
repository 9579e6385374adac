"""WSGI entry point for gunicorn: ``gunicorn ivr.wsgi:app``."""

from ivr import create_app

app = create_app()
