"""Stations and the people who work at them: the registry, its CSV rows, users and sign-in."""
