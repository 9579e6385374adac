"""The real application plus one bare endpoint, for ``benchmarks/webhook_load.py``.

``gunicorn benchmarks.bench_wsgi:app`` serves the webhooks exactly as ``ivr.wsgi`` does and
adds ``POST /bench/bare``: the form parsed, constant TwiML built once, no database, no
signature check, exempt from the console's CSRF check as the webhooks are (without that it
answered every request 400, the "errors" earlier bare rows showed). It shares the server,
process model and WSGI stack with the webhooks, so the difference between the two is the
application's own work.
"""

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from ivr import create_app
from ivr.voice.warm_up import warm_call_path


def _constant_twiml() -> str:
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        timeout=6,
        action="https://hotline.example.org/twilio/gather?m=v1&n=choose_language&l=zh",
        method="POST",
        action_on_empty_result=True,
    )
    gather.say(
        "您好，这里是北京街社工站守护热线。普通话请按1。廣東話請按2。For English, press 3.",
        language="cmn-CN",
    )
    return str(response)


BARE_TWIML = _constant_twiml()

app = create_app()
warm_call_path(app)  # as ivr.wsgi does


@app.post("/bench/bare")
def bare() -> Response:
    request.form.get("CallSid")  # the form is parsed, as every webhook's is
    return Response(BARE_TWIML, mimetype="text/xml")


app.extensions["csrf"].exempt(bare)
