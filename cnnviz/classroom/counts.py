"""The teacher's live counts in words: joined, here, following, exploring by page, answered,
drawings sent in the round. Numbers only; a nickname only when the teacher shows them.
"""

from __future__ import annotations

from cnnviz.classroom.records import ClassCounts
from cnnviz.classroom.teaching import page_name
from cnnviz.site import PAGES

# A page's name as the store keeps it ("pooling") → its title in the navigation.
PAGE_TITLES = {page_name(page.path): page.title for page in PAGES}


def counts_sentences(counts: ClassCounts, show_nicknames: bool) -> list[str]:
    """The counts as the teacher reads them, one line each.

    >>> counts = ClassCounts(3, 1, {"pooling": 2}, 1, ((1, "Ada", 2), (3, None, 1)))
    >>> counts_sentences(counts, show_nicknames=False)  # doctest: +NORMALIZE_WHITESPACE
    ['3 joined · 3 here: 1 following, 2 exploring',
     'Exploring: Pooling & padding 2', '1 of 3 answered',
     'Drawings this round: #1: 2 · #3: 1']
    """
    lines = [
        f"{counts.joined} joined · {counts.here} here: {counts.following} following, "
        f"{sum(counts.exploring.values())} exploring"
    ]
    if counts.exploring:
        lines.append(
            "Exploring: "
            + " · ".join(
                f"{PAGE_TITLES.get(page, page)} {n}" for page, n in counts.exploring.items()
            )
        )
    if counts.answered is not None:
        lines.append(f"{counts.answered} of {counts.joined} answered")
    if counts.drawings:
        sent = [
            f"#{number}" + (f" {nickname}" if show_nicknames and nickname else "") + f": {count}"
            for number, nickname, count in counts.drawings
        ]
        lines.append("Drawings this round: " + " · ".join(sent))
    return lines
