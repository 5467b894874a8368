"""What the controller reads from the service (on the job thread, except :func:`read_config`,
which reads config files only and is fast enough for start-up).

A damaged file spoils only what is in it: a damaged ``schedules.json`` leaves every
partnership listed with the default schedule (and says why once); a damaged partnerships
file still lets the sessions and devices load."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from syncgui.engine import SessionResult
from syncgui.service import (
    Account,
    ConfigError,
    DeviceReport,
    Partnership,
    Schedule,
    SessionRecord,
    SyncPort,
    Trigger,
)

__all__ = ["HISTORY_LIMIT", "Config", "Loaded", "Ran", "read_all", "read_config", "read_counts"]

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Config:
    """Partnerships and their schedules, and why a file could not be read."""

    partnerships: list[Partnership] = field(default_factory=list)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    config_error: str | None = None  # the partnerships could not be read: why
    schedule_error: str | None = None  # schedules could not be read: why (defaults used)
    accounts: list[Account] = field(default_factory=list)  # accounts on CardDAV servers


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a refresh reads on the job thread."""

    config: Config
    counts: dict[str, int]
    sessions: list[SessionRecord]
    synced: frozenset[str]  # partnerships with at least one recorded session
    devices: list[DeviceReport]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ran:
    """What a session job returns: the results, and the state they changed."""

    results: list[SessionResult]
    counts: dict[str, int]
    sessions: list[SessionRecord]
    trigger: Trigger  # what the session ran as (requests merged into it included)


def read_config(service: SyncPort) -> Config:
    """Partnerships, and each one's schedule read on its own; the accounts."""
    try:
        accounts = service.accounts()
    except ConfigError as err:  # the wizard and the accounts view say so when used
        log.warning("the accounts cannot be read: %s", err.message)
        accounts = []
    try:
        partnerships = service.partnerships()
    except ConfigError as err:
        log.warning("the partnerships cannot be read: %s", err.message)
        return Config(config_error=err.message, accounts=accounts)
    schedules: dict[str, Schedule] = {}
    schedule_error: str | None = None
    for p in partnerships:
        try:
            schedules[p.name] = service.schedule(p.name)
        except ConfigError as err:
            schedules[p.name] = Schedule()
            if schedule_error is None:
                log.warning("the schedules cannot be read: %s", err.message)
            schedule_error = err.message
    return Config(partnerships, schedules, None, schedule_error, accounts)


def read_counts(service: SyncPort) -> dict[str, int]:
    try:
        return service.conflict_counts()
    except ConfigError as err:  # already reported as the config error
        log.warning("the conflict counts cannot be read: %s", err.message)
        return {}


def read_all(service: SyncPort) -> Loaded:  # job thread
    config = read_config(service)
    # "has it synced before": the last record of each partnership, not the history list
    # (a partnership could be missing from its newest 200 records)
    synced = frozenset(p.name for p in config.partnerships if service.sessions(p.name, limit=1))
    return Loaded(
        config,
        read_counts(service),
        service.sessions(limit=HISTORY_LIMIT),
        synced,
        service.current_devices(),
        service.device_notes(),
    )
