"""Reaching residents by text: the outbox of messages, acknowledgements of voicemails, and
the opt-out and opt-in words residents reply with."""
