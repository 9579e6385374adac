"""Edit distance between two token sequences, and the alignment that achieves it.

Levenshtein distance (substitution, insertion and deletion each cost 1), computed here
rather than taken from a library so that the error rate the statistics report and the
word times the ticket page shows come from one definition. Transcripts are short (a
voicemail), and a correction usually changes a few words: the common beginning and end
are matched first, and only the middle goes through the quadratic table.
"""

from __future__ import annotations

from collections.abc import Sequence

# One step of an alignment: (index in ``a`` or None, index in ``b`` or None). Both set: the
# tokens are matched (equal, or one substituted for the other); ``a``'s None: ``b``'s token
# was inserted; ``b``'s None: ``a``'s token was deleted.
Pair = tuple[int | None, int | None]

_MATCH, _DELETE, _INSERT = 0, 1, 2


def _common_ends(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    prefix = 0
    limit = min(len(a), len(b))
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[len(a) - 1 - suffix] == b[len(b) - 1 - suffix]:
        suffix += 1
    return prefix, suffix


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """The fewest substitutions, insertions and deletions that turn ``a`` into ``b``."""
    prefix, suffix = _common_ends(a, b)
    a, b = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    if not a or not b:
        return len(a) + len(b)
    previous = list(range(len(b) + 1))
    for i, token in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            current[j] = min(
                previous[j - 1] + (token != other),
                previous[j] + 1,
                current[j - 1] + 1,
            )
        previous = current
    return previous[-1]


def align(a: Sequence[str], b: Sequence[str]) -> list[Pair]:
    """A cheapest alignment of ``a`` to ``b``, in order; equal tokens are matched where a
    cheapest alignment can match them."""
    prefix, suffix = _common_ends(a, b)
    middle = _align_middle(a[prefix : len(a) - suffix], b[prefix : len(b) - suffix], prefix)
    head: list[Pair] = [(i, i) for i in range(prefix)]
    tail: list[Pair] = [(len(a) - suffix + k, len(b) - suffix + k) for k in range(suffix)]
    return head + middle + tail


def _align_middle(a: Sequence[str], b: Sequence[str], offset: int) -> list[Pair]:
    if not a or not b:
        return [(offset + i, None) for i in range(len(a))] + [
            (None, offset + j) for j in range(len(b))
        ]
    width = len(b) + 1
    steps = [bytearray(width) for _ in range(len(a) + 1)]
    steps[0] = bytearray([_INSERT]) * width
    previous = list(range(width))
    for i, token in enumerate(a, 1):
        current = [i] + [0] * len(b)
        row = steps[i]
        row[0] = _DELETE
        for j, other in enumerate(b, 1):
            match = previous[j - 1] + (token != other)
            delete = previous[j] + 1
            insert = current[j - 1] + 1
            # A match wins ties, so equal tokens stay paired (and keep their times).
            if match <= delete and match <= insert:
                current[j], row[j] = match, _MATCH
            elif delete <= insert:
                current[j], row[j] = delete, _DELETE
            else:
                current[j], row[j] = insert, _INSERT
        previous = current
    pairs: list[Pair] = []
    i, j = len(a), len(b)
    while i or j:
        step = steps[i][j] if i and j else (_DELETE if i else _INSERT)
        if step == _MATCH:
            i, j = i - 1, j - 1
            pairs.append((offset + i, offset + j))
        elif step == _DELETE:
            i -= 1
            pairs.append((offset + i, None))
        else:
            j -= 1
            pairs.append((None, offset + j))
    pairs.reverse()
    return pairs
