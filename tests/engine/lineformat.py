"""A tiny line-based item format for fast engine tests (a fake: the real one is vCard).

An item is ``KEY:value`` lines; ``UID`` names it, ``FN`` labels it. Merge is a three-way
merge per key; a key changed differently on both sides clashes."""

from __future__ import annotations

from collections.abc import Mapping

from syncgui.engine.errors import BadItem
from syncgui.engine.itemformat import FieldClash, ItemInfo, MatchKeys, MergeOutcome, MergeSide


def parse(data: bytes) -> dict[str, str]:
    if not data.strip():
        raise BadItem("empty item")
    fields: dict[str, str] = {}
    for line in data.decode().splitlines():
        if ":" not in line:
            raise BadItem(f"not a field line: {line!r}")
        key, value = line.split(":", 1)
        fields[key] = value
    return fields


def render(fields: Mapping[str, str]) -> bytes:
    return "".join(f"{k}:{v}\n" for k, v in sorted(fields.items())).encode()


class LineFormat:
    def describe(self, data: bytes) -> ItemInfo:
        f = parse(data)
        return ItemInfo(f.get("UID"), f.get("FN", "(unnamed)"))

    def with_uid(self, data: bytes, uid: str) -> bytes:
        f = parse(data)
        if f.get("UID") == uid:
            return data
        return render({**f, "UID": uid})

    def as_copy(self, data: bytes, uid: str, origin: str) -> bytes:
        return render({**parse(data), "UID": uid, "COPY": origin})

    def same(self, a: bytes, b: bytes) -> bool:
        fa, fb = parse(a), parse(b)
        fa.pop("UID", None)
        fb.pop("UID", None)
        return fa == fb

    def match_keys(self, data: bytes) -> MatchKeys:
        """Content without the UID; FN casefolded; EMAIL and TEL (digits) as handles."""
        f = parse(data)
        f.pop("UID", None)
        handles = set()
        if f.get("EMAIL"):
            handles.add("email:" + f["EMAIL"].casefold())
        digits = "".join(c for c in f.get("TEL", "") if c.isdigit())
        if digits:
            handles.add("tel:" + digits)
        return MatchKeys(render(f).decode(), f.get("FN", "").casefold(), frozenset(handles))

    def _merge(
        self, base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, MergeSide] | None
    ) -> MergeOutcome:
        b = parse(base) if base else {}
        o, t = parse(ours), parse(theirs)
        out: dict[str, str] = {}
        clashes = []
        for key in sorted(set(b) | set(o) | set(t)):
            bv, ov, tv = b.get(key), o.get(key), t.get(key)
            if key == "UID":
                value = ov  # each store keeps its own
            elif tv in (ov, bv):
                value = ov
            elif ov == bv:
                value = tv
            elif prefer is not None:
                value = tv if prefer.get(key) == "theirs" else ov
            else:
                clashes.append(FieldClash(key, bv, ov, tv))
                continue
            if value is not None:
                out[key] = value
        if clashes:
            return MergeOutcome(None, tuple(clashes))
        return MergeOutcome(render(out), ())

    def merge(self, base: bytes | None, ours: bytes, theirs: bytes) -> MergeOutcome:
        return self._merge(base, ours, theirs, None)

    def merge_choosing(
        self, base: bytes | None, ours: bytes, theirs: bytes, prefer: Mapping[str, MergeSide]
    ) -> bytes:
        data = self._merge(base, ours, theirs, prefer).data
        assert data is not None
        return data
