"""Time the vCard codec on huge and hostile cards (a 1 MB line, 200,000 blank lines, 100,000
nested AGENT cards, …), the inputs of ``tests/providers/test_vcard_card.py``'s HUGE table,
at their size and at half of it: a linear codec takes about twice as long for twice the
input; a quadratic one four times (the table's cards took a minute and more before the codec
was made linear). Describing 10,000 generated cards is timed too. A benchmark, not a test:
the tests check what the codec answers, this prints how long it takes.

    python benchmarks/bench_hostile_cards.py
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syncgui.engine.errors import BadItem  # noqa: E402
from syncgui.providers.vcard.format import describe_card  # noqa: E402
from syncgui.providers.vcard.split import find_value, single_card_problem, split_cards  # noqa: E402
from tests.providers.test_vcard_card import HUGE  # noqa: E402
from tests.providers.test_vcard_format import generated_cards  # noqa: E402

WORK: list[Callable[[bytes], object]] = [
    describe_card,
    split_cards,
    lambda d: find_value(d, "NOTE"),
    single_card_problem,
]


def _seconds(data: bytes) -> float:
    start = time.perf_counter()
    for work in WORK:
        with contextlib.suppress(BadItem):
            work(data)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'input':42} {'half':>8} {'full':>8} {'ratio':>6}")
    for name in sorted(HUGE):
        data = HUGE[name]
        end = b"END:VCARD\r\n"
        if data.endswith(end):  # keep the card's end: halve what comes before it
            body = data[: -len(end)]
            half = body[: len(body) // 2] + b"\r\n" + end
        else:
            half = data[: len(data) // 2]
        t_half, t_full = _seconds(half), _seconds(data)
        ratio = t_full / t_half if t_half else float("nan")
        print(f"{name:42} {t_half:8.3f} {t_full:8.3f} {ratio:6.1f}")
    cards = generated_cards(10_000)
    start = time.perf_counter()
    for data in cards:
        describe_card(data)
    print(f"describe 10,000 generated cards: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
