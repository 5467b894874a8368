"""Time the vCard match keys (``VCardFormat.match_keys``) per card, beside ``parse_card``.

Matching when stores meet reads the keys of every new card on both sides, so two stores of
10,000 contacts cost 20,000 calls. For each fixture card in ``tests/data/cards``, a
generated 10-line card and the realistic generated contacts of ``cards.py`` (vCard 2.1,
3.0 and 4.0, a share with a photo) this prints the best of ``--repeat`` timings, in µs per
card, of ``match_keys`` and of ``parse_card`` alone (which ``match_keys`` calls to validate
the card: the floor). Cards the codec refuses are timed too (they raise BadItem).

    python benchmarks/bench_match_keys.py
    python benchmarks/bench_match_keys.py --contacts 5000 --repeat 9
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cards

from syncgui.engine.errors import BadItem
from syncgui.providers.vcard.card import parse_card
from syncgui.providers.vcard.format import VCardFormat

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "cards"
TEN_LINES = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:3.0\r\n"
    b"UID:6A1C2F3E-1D4B-4E7A-9C1B-2B3C4D5E6F70\r\n"
    b"N:Doe;John;;;\r\n"
    b"FN:John Doe\r\n"
    b"TEL;type=CELL;type=VOICE;type=pref:+44 20 7946 0018\r\n"
    b"TEL;type=HOME;type=VOICE:020 7946 0019\r\n"
    b"EMAIL;type=INTERNET;type=HOME:john.doe@example.com\r\n"
    b"REV:2024-03-01T10:00:00Z\r\n"
    b"END:VCARD\r\n"
)


def per_card(run: Callable[[bytes], object], data: Sequence[bytes], repeat: int) -> float:
    """The best of ``repeat`` timings of ``run`` over ``data``, in µs per card."""

    def once() -> None:
        for item in data:
            with contextlib.suppress(BadItem):
                run(item)

    number = max(1, 2000 // len(data))
    best = min(timeit.repeat(once, number=number, repeat=repeat))
    return best / number / len(data) * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--contacts", type=int, default=2000, help="generated contacts to time")
    p.add_argument("--repeat", type=int, default=5, help="timings to take the best of")
    args = p.parse_args(argv)
    keys = VCardFormat().match_keys
    generated = [c.data for c in cards.generate(args.contacts)]
    small = [d for d in generated if len(d) < 4096]
    rows: list[tuple[str, list[bytes]]] = [
        *((path.name, [path.read_bytes()]) for path in sorted(FIXTURES.iterdir())),
        ("generated 10-line card", [TEN_LINES]),
        (f"cards.py, {len(generated)} contacts", generated),
        (f"cards.py, the {len(small)} without a photo", small),
    ]
    print(f"{'cards':<40} {'match_keys µs':>14} {'parse_card µs':>14}")
    for label, data in rows:
        matched = per_card(keys, data, args.repeat)
        parsed = per_card(parse_card, data, args.repeat)
        print(f"{label:<40} {matched:>14.1f} {parsed:>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
