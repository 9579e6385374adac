"""Call-back tickets: opening and merging cases, what workers do to them, tags, and
who may see which."""
