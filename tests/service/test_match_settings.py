"""A partnership's matching settings: how far contacts new to each other are matched
(``match``) and the matches the user refused, kept in the partnerships file (files from
before matching still load), handed to each session, and what sessions matched recorded for
the activity view and said in the log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from syncgui.engine.events import Direction, Policy, SessionResult, SessionSettings, Status
from syncgui.engine.itemformat import MatchKeys
from syncgui.engine.matching import Candidate, Match, MatchLevel, MatchRule, PossibleDuplicate
from syncgui.service import ConfigError, MatchedItem, Partnership, SyncService
from syncgui.service.sessions import SessionLog, matched_text
from tests.service.support import card, profile, write_cards

_KEYS = MatchKeys("", "ada lovelace", frozenset())


def _candidate(side: str, key: str, label: str = "Ada Lovelace") -> Candidate:
    return Candidate(f"{side}:{key}".encode(), label, key, _KEYS)


def _match(a_key: str, b_key: str, label: str = "Ada Lovelace") -> Match:
    return Match(_candidate("a", a_key, label), _candidate("b", b_key, label), MatchRule.PERSON)


def _service(tmp_path: Path, **kwargs: Any) -> SyncService:
    a = write_cards(tmp_path / "a", {"ada.vcf": card("ada-1", "Ada Lovelace")})
    b = write_cards(tmp_path / "b", {"ada.vcf": card("ada-2", "Ada Lovelace")})
    service = SyncService(profile(tmp_path), real_backend=None)
    service.add_partnership("p", f"vdir:{a}", f"vdir:{b}", **kwargs)
    return service


def test_a_partnerships_file_from_before_matching_loads_with_people_and_no_refusals(
    tmp_path: Path,
) -> None:
    service = SyncService(profile(tmp_path), real_backend=None)
    old = {
        "partnerships": [
            {"name": "p", "a": "vdir:/x", "b": "vcf:/y.vcf", "direction": "a-to-b", "policy": "ask"}
        ]
    }
    service.paths.partnerships_file.parent.mkdir(parents=True)
    service.paths.partnerships_file.write_text(json.dumps(old))
    [p] = service.partnerships()
    assert p == Partnership("p", "vdir:/x", "vcf:/y.vcf", Direction.A_TO_B, Policy.ASK)
    assert p.match is MatchLevel.PEOPLE and p.refused_matches == frozenset()


def test_match_level_and_refused_pairs_round_trip_through_the_file(tmp_path: Path) -> None:
    service = _service(tmp_path, match=MatchLevel.EXACT)
    assert service.partnerships()[0].match is MatchLevel.EXACT
    pairs = {(b"\x01" * 16, b"\x02" * 16), (b"\x00\xff", b"\xab")}
    changed = service.refuse_matches("p", pairs)
    assert changed.refused_matches == frozenset(pairs)
    [again] = SyncService(service.paths, real_backend=None).partnerships()
    assert again == changed
    raw = json.loads(service.paths.partnerships_file.read_text())["partnerships"][0]
    assert raw["match"] == "exact"
    assert raw["refused_matches"] == [["00ff", "ab"], ["01" * 16, "02" * 16]]  # hex, sorted


def test_refusing_adds_to_what_was_refused_and_an_unknown_partnership_is_an_error(
    tmp_path: Path,
) -> None:
    service = _service(tmp_path)
    service.refuse_matches("p", [(b"a1", b"b1")])
    service.refuse_matches("p", [(b"a2", b"b2"), (b"a1", b"b1")])
    assert service.partnerships()[0].refused_matches == {(b"a1", b"b1"), (b"a2", b"b2")}
    with pytest.raises(ConfigError, match="no partnership named 'q'"):
        service.refuse_matches("q", [(b"a", b"b")])


@pytest.mark.parametrize(
    "refused",
    [[["zz", "00"]], [["00"]], ["0011"], [[1, 2, 3]]],
    ids=["not-hex", "one-id", "a-string", "three"],
)
def test_a_damaged_refused_pair_is_a_config_error_naming_the_file(
    tmp_path: Path, refused: object
) -> None:
    service = _service(tmp_path)
    raw = json.loads(service.paths.partnerships_file.read_text())
    raw["partnerships"][0]["refused_matches"] = refused
    service.paths.partnerships_file.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=r"partnerships\.json is damaged"):
        service.partnerships()


def test_an_unknown_match_level_in_the_file_is_a_config_error(tmp_path: Path) -> None:
    service = _service(tmp_path)
    raw = json.loads(service.paths.partnerships_file.read_text())
    raw["partnerships"][0]["match"] = "fuzzy"
    service.paths.partnerships_file.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="damaged"):
        service.partnerships()


def test_each_session_gets_the_partnerships_match_level_and_refusals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[SessionSettings] = []

    class Session:
        def __init__(self, _a: object, _b: object, settings: SessionSettings, *_: object,
                     **__: object) -> None:  # fmt: skip
            seen.append(settings)

        def run(self) -> SessionResult:
            return SessionResult(seen[-1].partnership, dry_run=seen[-1].dry_run)

    monkeypatch.setattr("syncgui.service.running.SyncSession", Session)
    service = _service(tmp_path, match=MatchLevel.NONE)
    service.refuse_matches("p", [(b"a1", b"b1")])
    service.sync(["p"], dry_run=True)
    assert seen[0].match is MatchLevel.NONE
    assert seen[0].refused_matches == {(b"a1", b"b1")}
    assert seen[0].dry_run


def test_the_session_log_records_what_was_matched_and_left_as_possible_duplicates(
    tmp_path: Path,
) -> None:
    log = SessionLog(tmp_path / "sessions.sqlite")
    result = SessionResult("p")
    result.matched = [_match("ada.vcf", "ada-2"), _match("alan.vcf", "alan", "Alan Turing")]
    result.possible_duplicates = [
        PossibleDuplicate((_candidate("a", "g1", "Grace"),), (_candidate("b", "g2", "Grace"),))
    ]
    record = log.add(result, started=1.0, finished=2.0, trigger="manual")
    assert record.matched == 2
    assert record.matched_items == (
        MatchedItem("Ada Lovelace", "ada.vcf", "ada-2"),
        MatchedItem("Alan Turing", "alan.vcf", "alan"),
    )
    assert record.possible_duplicates == ("Grace",)
    assert log.records() == [record]
    log.close()


def test_records_from_before_matching_count_none(tmp_path: Path) -> None:
    log = SessionLog(tmp_path / "sessions.sqlite")
    log.add(SessionResult("p"), started=1.0, finished=2.0, trigger="manual")
    log._db.execute("UPDATE session SET detail = ?", (json.dumps({"conflicts": 1}),))
    [record] = log.records()
    assert (record.matched, record.matched_items, record.possible_duplicates) == (0, (), ())
    assert record.conflicts == 1
    log.close()


def test_the_log_line_counts_matched_contacts(tmp_path: Path) -> None:
    result = SessionResult("p", dry_run=True)
    assert matched_text(result) == ""
    result.matched = [_match("ada.vcf", "ada-2")]
    assert matched_text(result) == "; 1 contact matched as the same person (would be combined)"
    result.dry_run = False
    result.matched.append(_match("alan.vcf", "alan", "Alan Turing"))
    result.possible_duplicates = [PossibleDuplicate((_candidate("a", "g"),), ())]
    assert matched_text(result) == (
        "; 2 contacts matched as the same person (combined); 1 possible duplicate left apart"
    )


def test_the_session_log_line_says_how_many_were_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Session:
        def __init__(self, _a: object, _b: object, settings: SessionSettings, *_: object,
                     **__: object) -> None:  # fmt: skip
            self.settings = settings

        def run(self) -> SessionResult:
            result = SessionResult("p", Status.OK, self.settings.dry_run)
            result.matched = [_match("a.vcf", "b1"), _match("c.vcf", "d1", "Alan Turing")]
            return result

    monkeypatch.setattr("syncgui.service.running.SyncSession", Session)
    service = _service(tmp_path)
    with caplog.at_level(logging.INFO, logger="syncgui.service.running"):
        service.sync(["p"])
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("p: ok")]
    assert line.endswith("; 2 contacts matched as the same person (combined)")
    [record] = service.sessions()
    assert record.matched == 2
