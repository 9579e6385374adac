"""Outreach campaigns (电访): workers phone a list of residents instead of waiting for them.

``build`` makes the list (from the caller registry in one INSERT … SELECT, or from a CSV,
all or nothing), ``assign`` shares it among workers in one UPDATE, ``outcomes`` records
each call and schedules retries, ``dialing`` rings a worker and bridges them to the
resident, ``access`` says who sees which campaign and entry, ``coverage`` counts progress.
"""

from __future__ import annotations


class CampaignInvalid(ValueError):
    """A campaign request that cannot be carried out; the message says why."""
