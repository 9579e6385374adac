"""Privacy: how long personal data is kept (``policies``, ``retention``), Twilio's copy of
a recording (``twilio_copy``), a resident's request to see or erase what is held about
their number (``resident``, ``erasure``), and recordings encrypted at rest (``keys``,
``sealed``)."""
