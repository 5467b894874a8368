"""Words and numbers as the user reads them: store names, sizes, times, session summaries.

Every string goes through Qt's translation in the context "wording", each spelled out as
``translate("wording", "...")`` so pyside6-lupdate extracts it under the context it is
looked up with. English plurals are chosen by :func:`plural`; its callers pass both forms
already translated (a translation file gives its own text for each form)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale

from syncgui.engine import Direction, Policy
from syncgui.service import Counts

if TYPE_CHECKING:
    from syncgui.engine import SessionResult
    from syncgui.service import Account, DeviceReport, ItemNote, Schedule, SessionRecord

translate = QCoreApplication.translate


def plural(n: int, one: str, many: str) -> str:
    """``one`` or ``many`` by the English rule, with ``{n}`` replaced by the number.

    Both forms come translated by the caller, e.g. ``plural(n, self.tr("{n} conflict"),
    self.tr("{n} conflicts"))``: a text given here is not looked up again (lupdate would
    not see it)."""
    return (one if n == 1 else many).replace("{n}", QLocale().toString(n))


# -- sizes and times ---------------------------------------------------------------------


def human_size(size: int) -> str:
    """Bytes in the locale's units ("12.3 GB")."""
    return QLocale().formattedDataSize(max(0, size), 1, QLocale.DataSizeFormat.DataSizeSIFormat)


def local_time(t: float) -> str:
    """A moment as the local date and time, short form."""
    dt = QDateTime.fromSecsSinceEpoch(int(t))
    locale = QLocale()
    if locale.language() == QLocale.Language.C:  # no locale set (LANG=C): "26 Nov 2026 11:04"
        return locale.toString(dt, "d MMM yyyy HH:mm")
    return locale.toString(dt, QLocale.FormatType.ShortFormat)


def clock(t: float) -> str:
    """The local time of day of a moment ("11:36")."""
    dt = QDateTime.fromSecsSinceEpoch(int(t))
    return QLocale().toString(dt.time(), QLocale.FormatType.ShortFormat)


def ago(t: float, now: float | None = None) -> str:
    """How long ago ``t`` was, in words ("3 min ago"); older than a day: the date."""
    seconds = (time.time() if now is None else now) - t
    if seconds < 45:
        return translate("wording", "just now")
    minutes = round(seconds / 60)
    if minutes < 60:
        return plural(
            minutes, translate("wording", "{n} min ago"), translate("wording", "{n} min ago")
        )
    hours = round(seconds / 3600)
    if hours < 24:
        return plural(
            hours, translate("wording", "{n} hour ago"), translate("wording", "{n} hours ago")
        )
    return local_time(t)


def until(t: float, now: float | None = None) -> str:
    """When a future moment comes, in words ("in 12 min")."""
    seconds = t - (time.time() if now is None else now)
    if seconds < 60:
        return translate("wording", "in less than a minute")
    minutes = round(seconds / 60)
    if minutes < 60:
        return plural(
            minutes, translate("wording", "in {n} min"), translate("wording", "in {n} min")
        )
    if seconds < 86400:
        return translate("wording", "at %1").replace("%1", clock(t))
    return local_time(t)


# -- stores ------------------------------------------------------------------------------


def _split(spec: str) -> tuple[str, str]:
    scheme, _, location = spec.partition(":")
    return scheme, location


def store_kind(spec: str) -> str:
    """ "phone", "folder", "file", "online" (a CardDAV address book) or "other"."""
    scheme, location = _split(spec)
    if scheme in ("mtp", "virtual"):
        return "phone"
    if scheme == "vdir":
        return "folder"
    if scheme == "vcf" or location.lower().endswith(".vcf"):
        return "file"
    if scheme == "carddav":
        return "online"
    return "other"


def _device_for(serial: str, devices: Sequence[DeviceReport]) -> DeviceReport | None:
    for d in devices:
        if serial in ("first", "") or d.serial == serial:
            return d
    return None


def store_name(
    spec: str, devices: Sequence[DeviceReport] = (), accounts: Sequence[Account] = ()
) -> str:
    """A short friendly name: the folder or file name, the phone's model, or an online
    address book's name and account."""
    scheme, location = _split(spec)
    if scheme in ("vdir", "vcf"):
        return os.path.basename(location.rstrip("/\\")) or location
    if scheme == "virtual":
        root, _, inner = location.partition("#")
        name = os.path.basename(root.rstrip("/\\")) or translate("wording", "Virtual phone")
        leaf = inner.strip("/").rsplit("/", 1)[-1]
        return f"{name} · {leaf}" if leaf and leaf.lower() != "contacts" else name
    if scheme == "mtp":
        serial, _, rest = location.partition("/")
        device = _device_for(serial, devices)
        phone = device.name if device else translate("wording", "Phone %1").replace("%1", serial)
        leaf = rest.strip("/").rsplit("/", 1)[-1] if "/" in rest else ""
        return f"{phone} · {leaf}" if leaf and leaf.lower() != "contacts" else phone
    if scheme == "carddav":
        return online_book_name(location, accounts)
    return location or spec


def online_book_name(location: str, accounts: Sequence[Account] = ()) -> str:
    """An online address book as "BOOK on ACCOUNT" (``ACCOUNT/BOOK``, BOOK its display
    name when the account knows it) or "BOOK on HOST" (a URL)."""
    if location.startswith(("http://", "https://")):
        parts = urlsplit(location)
        where = parts.hostname or location
        book = unquote(parts.path.rstrip("/").rpartition("/")[2])
    else:
        where, _, book = location.partition("/")
        account = next((a for a in accounts if a.name == where), None)
        known = [b for b in account.books if b.segment == book] if account else []
        book = known[0].name if known else book
    if not book:
        return where
    return translate("wording", "%1 on %2").replace("%1", book).replace("%2", where)


def safe_name(text: str) -> str:
    """``text`` made into a usable partnership name (letters, digits, space, . _ -)."""
    cleaned = re.sub(r"[^\w .-]+", " ", text, flags=re.ASCII)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .-_")
    return cleaned[:64] or "Contacts"


# -- partnerships ------------------------------------------------------------------------


def direction_arrow(direction: Direction) -> str:
    return {Direction.TWO_WAY: "⇄", Direction.A_TO_B: "→", Direction.B_TO_A: "←"}[direction]


def direction_words(direction: Direction, a: str, b: str) -> str:
    if direction is Direction.TWO_WAY:
        return translate("wording", "Both ways: changes on either side go to the other")
    text = translate("wording", "One way: %1 is copied to %2, changes on %2 are not sent back")
    src, dst = (a, b) if direction is Direction.A_TO_B else (b, a)
    return text.replace("%1", src).replace("%2", dst)


def policy_name(policy: Policy) -> str:
    return {
        Policy.MERGE: translate("wording", "Merge"),
        Policy.ASK: translate("wording", "Ask me"),
        Policy.A_WINS: translate("wording", "First store wins"),
        Policy.B_WINS: translate("wording", "Second store wins"),
        Policy.NEWEST: translate("wording", "Newest wins"),
        Policy.KEEP_BOTH: translate("wording", "Keep both"),
    }[policy]


def policy_help(policy: Policy, a: str, b: str) -> str:
    text = {
        Policy.MERGE: translate(
            "wording",
            "Combine both changes field by field (a new phone number on one side and a new "
            "email on the other both stay). Only a field changed differently on both sides "
            "is left for you to decide.",
        ),
        Policy.ASK: translate(
            "wording",
            "Never decide for me: keep both versions untouched and list the contact under "
            "Conflicts until I choose. The rest of the sync goes on.",
        ),
        Policy.A_WINS: translate(
            "wording", "When both sides changed a contact, the version on %1 is kept."
        ),
        Policy.B_WINS: translate(
            "wording", "When both sides changed a contact, the version on %2 is kept."
        ),
        Policy.NEWEST: translate(
            "wording", "When both sides changed a contact, the more recent change is kept."
        ),
        Policy.KEEP_BOTH: translate(
            "wording",
            "When both sides changed a contact, keep both: the other version is added as a "
            "copy marked “conflict copy”.",
        ),
    }[policy]
    return text.replace("%1", a).replace("%2", b)


def _schedule_parts(schedule: Schedule) -> list[str]:
    """ "every 15 minutes", "when the phone is connected", "when a file changes"."""
    parts = []
    if schedule.interval_minutes:
        parts.append(
            plural(
                schedule.interval_minutes,
                translate("wording", "every minute"),
                translate("wording", "every {n} minutes"),
            )
        )
    if schedule.on_connect:
        parts.append(translate("wording", "when the phone is connected"))
    if schedule.on_change:
        parts.append(translate("wording", "when a file changes"))
    return parts


def schedule_text(schedule: Schedule) -> str:
    parts = _schedule_parts(schedule)
    return ", ".join(parts) if parts else translate("wording", "only when I ask")


def schedule_sentence(schedule: Schedule) -> str:
    """What a schedule makes happen, as a sentence ("Syncs only when you ask or when a
    file changes."; "Syncs every 15 minutes, when the phone is connected and when you
    ask.")."""
    parts = _schedule_parts(schedule)
    if not parts:
        return translate("wording", "Syncs only when you ask (Sync now).")
    if not schedule.interval_minutes:
        return translate("wording", "Syncs only when you ask or %1.").replace(
            "%1",
            translate("wording", "%1 or %2").replace("%1", parts[0]).replace("%2", parts[1])
            if len(parts) == 2
            else parts[0],
        )
    listed = ", ".join(parts)
    return translate("wording", "Syncs %1, and when you ask.").replace("%1", listed)


# -- session results ---------------------------------------------------------------------


def counts_text(counts: Counts, side: str) -> str:
    """ "2 added, 1 changed on Address book" (empty when nothing was written)."""
    parts = []
    if counts.created:
        parts.append(
            plural(
                counts.created, translate("wording", "{n} added"), translate("wording", "{n} added")
            )
        )
    if counts.updated:
        parts.append(
            plural(
                counts.updated,
                translate("wording", "{n} changed"),
                translate("wording", "{n} changed"),
            )
        )
    if counts.deleted:
        parts.append(
            plural(
                counts.deleted,
                translate("wording", "{n} deleted"),
                translate("wording", "{n} deleted"),
            )
        )
    if not parts:
        return ""
    return translate("wording", "%1 on %2").replace("%1", ", ".join(parts)).replace("%2", side)


def changes_text(record: SessionRecord, a: str, b: str) -> str:
    """What a session wrote where, conflicts and merges included."""
    parts = [t for t in (counts_text(record.to_b, b), counts_text(record.to_a, a)) if t]
    if record.matched:
        parts.append(
            plural(
                record.matched,
                translate("wording", "{n} matched as the same person"),
                translate("wording", "{n} matched as the same person"),
            )
        )
    if record.merged:
        parts.append(
            plural(
                record.merged,
                translate("wording", "{n} merged"),
                translate("wording", "{n} merged"),
            )
        )
    if record.conflicts:
        parts.append(
            plural(
                record.conflicts,
                translate("wording", "{n} conflict left"),
                translate("wording", "{n} conflicts left"),
            )
        )
    skipped = item_errors(record)
    if skipped:
        parts.append(
            plural(
                len(skipped),
                translate("wording", "{n} contact could not be synced"),
                translate("wording", "{n} contacts could not be synced"),
            )
        )
    elif record.errors:
        parts.append(
            plural(
                len(record.errors),
                translate("wording", "{n} problem"),
                translate("wording", "{n} problems"),
            )
        )
    return "; ".join(parts) if parts else translate("wording", "nothing to change")


def item_errors(record: SessionRecord) -> tuple[ItemNote, ...]:
    """The contacts a session could not read or write (it went on with the others). An
    error that stopped the whole session is reported under the partnership's name."""
    return tuple(e for e in record.errors if e.item != record.partnership)


def failed_outright(record: SessionRecord) -> bool:
    """The session failed as a whole (a store could not be used), as opposed to a session
    that synced what it could and skipped some contacts (``status`` is "failed" for both)."""
    return record.status == "failed" and not item_errors(record)


def session_summary(record: SessionRecord, a: str, b: str, now: float | None = None) -> str:
    """One line for the partnerships view: "Synced 3 min ago: 2 added on phone"; a session
    that skipped some contacts says so after what it did ("…; 1 contact could not be
    synced"), only one that could not run at all reads "Failed"."""
    when = ago(record.finished, now)
    if failed_outright(record):
        first = record.errors[0].message if record.errors else ""
        return (
            translate("wording", "Failed %1: %2")
            .replace("%1", when)
            .replace("%2", first)
            .rstrip(": ")
        )
    if record.status == "blocked":
        store = record.blocked_store or ""
        n = len(record.blocked_items)
        text = plural(
            n,
            translate("wording", "would delete {n} contact from %2"),
            translate("wording", "would delete {n} contacts from %2"),
        )
        return translate("wording", "Stopped %1: ").replace("%1", when) + text.replace("%2", store)
    if record.status == "cancelled":
        return translate("wording", "Cancelled %1").replace("%1", when)
    return (
        translate("wording", "Synced %1: %2")
        .replace("%1", when)
        .replace("%2", changes_text(record, a, b))
    )


def settled_text(how: str, a: str, b: str) -> str:
    """How a session settled a conflict by itself (``ConflictFound.resolution``: "merged",
    "converged", "kept-update", "a", "b", "both"), in words; ``a`` and ``b`` are the stores'
    names."""
    words = {
        "converged": translate("wording", "already the same on both sides"),
        "merged": translate("wording", "changes from both sides combined"),
        "kept-update": translate("wording", "deleted on one side, edited on the other: kept"),
        "a": translate("wording", "changed on both sides: the version on %1 was kept"),
        "b": translate("wording", "changed on both sides: the version on %2 was kept"),
        "both": translate("wording", "changed on both sides: both kept, one as a “conflict copy”"),
    }
    text = words.get(how)
    return how if text is None else text.replace("%1", a).replace("%2", b)


def trigger_text(trigger: str) -> str:
    return {
        "manual": translate("wording", "by you"),
        "schedule": translate("wording", "on schedule"),
        "device": translate("wording", "phone connected"),
        "change": translate("wording", "file changed"),
        "resolve": translate("wording", "after resolving"),
        "cli": translate("wording", "command line"),
        "preview": translate("wording", "preview"),
        "undo": translate("wording", "undo"),
    }.get(trigger, trigger)


def preview_text(result: SessionResult, a: str, b: str) -> str:
    """What a dry run says would happen, in one sentence."""
    parts = []
    for counts, side in ((result.to_b, b), (result.to_a, a)):
        c = Counts(counts.created, counts.updated, counts.deleted)
        if c.created:
            parts.append(
                plural(
                    c.created,
                    translate("wording", "{n} contact added to %1"),
                    translate("wording", "{n} contacts added to %1"),
                ).replace("%1", side)
            )
        if c.updated:
            parts.append(
                plural(
                    c.updated,
                    translate("wording", "{n} changed on %1"),
                    translate("wording", "{n} changed on %1"),
                ).replace("%1", side)
            )
        if c.deleted:
            parts.append(
                plural(
                    c.deleted,
                    translate("wording", "{n} deleted from %1"),
                    translate("wording", "{n} deleted from %1"),
                ).replace("%1", side)
            )
    if result.merged:
        parts.append(
            plural(
                result.merged,
                translate("wording", "{n} merged"),
                translate("wording", "{n} merged"),
            )
        )
    if result.conflicts:
        parts.append(
            plural(
                result.conflicts,
                translate("wording", "{n} conflict"),
                translate("wording", "{n} conflicts"),
            )
        )
    return (
        ", ".join(parts)
        if parts
        else translate("wording", "Both stores already hold the same contacts.")
    )


def matches_heading(total: int, ticked: int) -> str:
    """Above the preview's list of matches: how many contacts will be combined, and what
    unticking one means."""
    if ticked == total:
        return (
            plural(
                total,
                translate("wording", "{n} contact matched as the same person (will be combined)."),
                translate("wording", "{n} contacts matched as the same person (will be combined)."),
            )
            + " "
            + translate(
                "wording",
                "Untick any that is not the same person: its two contacts are then kept apart.",
            )
        )
    head = plural(
        total,
        translate("wording", "{n} contact matched as the same person;"),
        translate("wording", "{n} contacts matched as the same person;"),
    )
    will = plural(
        ticked,
        translate("wording", "{n} will be combined."),
        translate("wording", "{n} will be combined."),
    )
    apart = plural(
        total - ticked,
        translate("wording", "The {n} unticked is kept as two separate contacts."),
        translate("wording", "The {n} unticked are kept as separate contacts."),
    )
    return f"{head} {will} {apart}"
