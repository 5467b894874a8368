"""A deferred conflict as the CLI and the GUI show it (kept apart from the facade so the
desktop records can use it without importing the facade)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class ConflictView:
    """A deferred conflict as the user sees it: both sides' data (None: deleted)."""

    id: str
    partnership: str
    kind: str  # from side A's point of view: "update-delete" means A updated, B deleted
    item: str
    uid: str
    held_by: Literal["a", "b"]
    a: bytes | None
    b: bytes | None
    a_name: str
    b_name: str
    detected_at: float
    # Why the holder's side cannot be shown now (its store is not reachable, e.g. a phone
    # that is not connected); its data is then None without being a delete.
    unreachable: str | None = None
