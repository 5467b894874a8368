"""Words and numbers as the user reads them: store names, sizes, times, session summaries.

Every string goes through Qt's translation (context "format"); English plurals are chosen
by :func:`plural` (a translation file may still give its own forms per string)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale

from syncgui.engine.events import Direction, Policy, SessionResult
from syncgui.service.devices import DeviceReport
from syncgui.service.records import Counts, Schedule, SessionRecord

_CTX = "format"


def tr(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


def plural(n: int, one: str, many: str) -> str:
    """``one`` or ``many`` (translated), with ``{n}`` replaced by the number."""
    return (tr(one) if n == 1 else tr(many)).replace("{n}", QLocale().toString(n))


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
        return tr("just now")
    minutes = round(seconds / 60)
    if minutes < 60:
        return plural(minutes, "{n} min ago", "{n} min ago")
    hours = round(seconds / 3600)
    if hours < 24:
        return plural(hours, "{n} hour ago", "{n} hours ago")
    return local_time(t)


def until(t: float, now: float | None = None) -> str:
    """When a future moment comes, in words ("in 12 min")."""
    seconds = t - (time.time() if now is None else now)
    if seconds < 60:
        return tr("in less than a minute")
    minutes = round(seconds / 60)
    if minutes < 60:
        return plural(minutes, "in {n} min", "in {n} min")
    if seconds < 86400:
        return tr("at %1").replace("%1", clock(t))
    return local_time(t)


# -- stores ------------------------------------------------------------------------------


def _split(spec: str) -> tuple[str, str]:
    scheme, _, location = spec.partition(":")
    return scheme, location


def store_kind(spec: str) -> str:
    """ "phone", "folder", "file" or "other"."""
    scheme, location = _split(spec)
    if scheme in ("mtp", "virtual"):
        return "phone"
    if scheme == "vdir":
        return "folder"
    if scheme == "vcf" or location.lower().endswith(".vcf"):
        return "file"
    return "other"


def _device_for(serial: str, devices: Sequence[DeviceReport]) -> DeviceReport | None:
    for d in devices:
        if serial in ("first", "") or d.serial == serial:
            return d
    return None


def store_name(spec: str, devices: Sequence[DeviceReport] = ()) -> str:
    """A short friendly name: the folder or file name, or the phone's model."""
    scheme, location = _split(spec)
    if scheme in ("vdir", "vcf"):
        return os.path.basename(location.rstrip("/\\")) or location
    if scheme == "virtual":
        root, _, inner = location.partition("#")
        name = os.path.basename(root.rstrip("/\\")) or tr("Virtual phone")
        leaf = inner.strip("/").rsplit("/", 1)[-1]
        return f"{name} · {leaf}" if leaf and leaf.lower() != "contacts" else name
    if scheme == "mtp":
        serial, _, rest = location.partition("/")
        device = _device_for(serial, devices)
        phone = device.name if device else tr("Phone %1").replace("%1", serial)
        leaf = rest.strip("/").rsplit("/", 1)[-1] if "/" in rest else ""
        return f"{phone} · {leaf}" if leaf and leaf.lower() != "contacts" else phone
    return location or spec


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
        return tr("Both ways: changes on either side go to the other")
    text = tr("One way: %1 is copied to %2, changes on %2 are not sent back")
    src, dst = (a, b) if direction is Direction.A_TO_B else (b, a)
    return text.replace("%1", src).replace("%2", dst)


def policy_name(policy: Policy) -> str:
    return {
        Policy.MERGE: tr("Merge"),
        Policy.ASK: tr("Ask me"),
        Policy.A_WINS: tr("First store wins"),
        Policy.B_WINS: tr("Second store wins"),
        Policy.NEWEST: tr("Newest wins"),
        Policy.KEEP_BOTH: tr("Keep both"),
    }[policy]


def policy_help(policy: Policy, a: str, b: str) -> str:
    text = {
        Policy.MERGE: tr(
            "Combine both changes field by field (a new phone number on one side and a new "
            "email on the other both stay). Only a field changed differently on both sides "
            "is left for you to decide."
        ),
        Policy.ASK: tr(
            "Never decide for me: keep both versions untouched and list the contact under "
            "Conflicts until I choose. The rest of the sync goes on."
        ),
        Policy.A_WINS: tr("When both sides changed a contact, the version on %1 is kept."),
        Policy.B_WINS: tr("When both sides changed a contact, the version on %2 is kept."),
        Policy.NEWEST: tr("When both sides changed a contact, the more recent change is kept."),
        Policy.KEEP_BOTH: tr(
            "When both sides changed a contact, keep both: the other version is added as a "
            "copy marked “conflict copy”."
        ),
    }[policy]
    return text.replace("%1", a).replace("%2", b)


def schedule_text(schedule: Schedule) -> str:
    parts = []
    if schedule.interval_minutes:
        parts.append(plural(schedule.interval_minutes, "every minute", "every {n} minutes"))
    if schedule.on_connect:
        parts.append(tr("when the phone is connected"))
    if schedule.on_change:
        parts.append(tr("when a file changes"))
    return ", ".join(parts) if parts else tr("only when I ask")


# -- session results ---------------------------------------------------------------------


def counts_text(counts: Counts, side: str) -> str:
    """ "2 added, 1 changed on Address book" (empty when nothing was written)."""
    parts = []
    if counts.created:
        parts.append(plural(counts.created, "{n} added", "{n} added"))
    if counts.updated:
        parts.append(plural(counts.updated, "{n} changed", "{n} changed"))
    if counts.deleted:
        parts.append(plural(counts.deleted, "{n} deleted", "{n} deleted"))
    if not parts:
        return ""
    return tr("%1 on %2").replace("%1", ", ".join(parts)).replace("%2", side)


def changes_text(record: SessionRecord, a: str, b: str) -> str:
    """What a session wrote where, conflicts and merges included."""
    parts = [t for t in (counts_text(record.to_b, b), counts_text(record.to_a, a)) if t]
    if record.merged:
        parts.append(plural(record.merged, "{n} merged", "{n} merged"))
    if record.conflicts:
        parts.append(plural(record.conflicts, "{n} conflict left", "{n} conflicts left"))
    if record.errors:
        parts.append(plural(len(record.errors), "{n} problem", "{n} problems"))
    return "; ".join(parts) if parts else tr("nothing to change")


def session_summary(record: SessionRecord, a: str, b: str, now: float | None = None) -> str:
    """One line for the partnerships view: "Synced 3 min ago: 2 added on phone"."""
    when = ago(record.finished, now)
    if record.status == "failed":
        first = record.errors[0].message if record.errors else ""
        return tr("Failed %1: %2").replace("%1", when).replace("%2", first).rstrip(": ")
    if record.status == "blocked":
        store = record.blocked_store or ""
        n = len(record.blocked_items)
        text = plural(n, "would delete {n} contact from %2", "would delete {n} contacts from %2")
        return tr("Stopped %1: ").replace("%1", when) + text.replace("%2", store)
    if record.status == "cancelled":
        return tr("Cancelled %1").replace("%1", when)
    return tr("Synced %1: %2").replace("%1", when).replace("%2", changes_text(record, a, b))


def trigger_text(trigger: str) -> str:
    return {
        "manual": tr("by you"),
        "schedule": tr("on schedule"),
        "device": tr("phone connected"),
        "change": tr("file changed"),
        "resolve": tr("after resolving"),
        "cli": tr("command line"),
        "preview": tr("preview"),
    }.get(trigger, trigger)


def preview_text(result: SessionResult, a: str, b: str) -> str:
    """What a dry run says would happen, in one sentence."""
    parts = []
    for counts, side in ((result.to_b, b), (result.to_a, a)):
        c = Counts(counts.created, counts.updated, counts.deleted)
        if c.created:
            parts.append(
                plural(c.created, "{n} contact added to %1", "{n} contacts added to %1").replace(
                    "%1", side
                )
            )
        if c.updated:
            parts.append(
                plural(c.updated, "{n} changed on %1", "{n} changed on %1").replace("%1", side)
            )
        if c.deleted:
            parts.append(
                plural(c.deleted, "{n} deleted from %1", "{n} deleted from %1").replace("%1", side)
            )
    if result.merged:
        parts.append(plural(result.merged, "{n} merged", "{n} merged"))
    if result.conflicts:
        parts.append(plural(result.conflicts, "{n} conflict", "{n} conflicts"))
    return ", ".join(parts) if parts else tr("Both stores already hold the same contacts.")
