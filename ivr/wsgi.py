"""WSGI entry point for gunicorn: ``gunicorn ivr.wsgi:app``.

Each worker imports this once, before it takes requests: the stations and live menus are
read then, so the first calls after a start find them ready.
"""

from ivr import create_app
from ivr.voice.warm_up import warm_call_path

app = create_app()
warm_call_path(app)
