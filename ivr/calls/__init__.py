"""Calls: the call log, and calls the console places (click-to-call)."""
