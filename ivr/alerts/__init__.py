"""Urgent alerts: a ticket that must not wait reaches a person's phone.

``chain`` decides who is alerted and when (the SMS to the on-duty phone, then calls up
the roster and to the district while nobody opens the ticket); ``delivery`` sends one
alert through Twilio's REST API, once; ``opened`` stops the chain when someone opens
the ticket. Jobs in ``ivr.jobs`` run them after the commits that matter.
"""
