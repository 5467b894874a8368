"""``syncgui-cli undo SESSION_ID``: take back every change one session carried, in both
stores (``--dry-run``: only say what it would do), then sync; contacts changed since the
session are listed and left alone unless ``--include-changed``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from syncgui.cli.exit_codes import EXIT_FAILED, EXIT_OK
from syncgui.cli.output import print_json
from syncgui.cli.sync import exit_code, print_result, result_json

if TYPE_CHECKING:
    from syncgui.service import SyncService, UndoOutcome, UndoStep


def undo(service: SyncService, args: argparse.Namespace) -> int:
    outcome = service.undo(args.session_id, include=args.include_changed, dry_run=args.dry_run)
    if args.json:
        print_json(_outcome_json(outcome))
    else:
        _print_outcome(outcome)
    if outcome.written.problems:
        return EXIT_FAILED
    return exit_code([outcome.sync]) if outcome.sync is not None else EXIT_OK


def step_text(step: UndoStep) -> str:
    """One step in words: what the undo does to the contact, where, and why."""
    if step.action == "remove":
        return f"remove {step.label} from {step.store_name} (this session added it there)"
    did = "deleted" if step.did == "deleted" else "overwrote"
    return f"put back {step.label} in {step.store_name} (this session {did} it there)"


def _print_outcome(outcome: UndoOutcome) -> None:
    plan = outcome.plan
    s = plan.session
    done = outcome.done
    if not plan.steps:
        print(f"Session {s.id} of {s.partnership} wrote nothing that an undo can take back.")
        return
    head = f"Undoing session {s.id} of {s.partnership}"
    if done:
        print(f"{head} would:" if outcome.dry_run else f"{head}:")
    else:
        print(f"{head}: nothing {'to do' if outcome.dry_run else 'done'}.")
    for step in done:
        print(f"  - {step_text(step)}")
    left = [st for st in plan.changed_since if st not in done]
    if left:
        print("Changed since that session, left alone (add --include-changed to undo them too):")
        for step in left:
            print(f"  - {step.label} in {step.store_name}")
    for step in plan.blocked:
        print(f"  ! {step.label} in {step.store_name}: {step.blocked}")
    for problem in outcome.written.problems:
        print(f"  ! {problem.text}")
    if outcome.dry_run:
        if done:
            print("Nothing was written. Run without --dry-run to undo; the other store follows.")
        return
    if outcome.sync is not None:
        print_result(outcome.sync)


def _step_json(step: UndoStep) -> dict[str, Any]:
    return {
        "item": step.label,
        "store": step.store,
        "store_name": step.store_name,
        "session_did": step.did.value,
        "undo": step.action.value,
        "changed_since": step.changed_since,
        "not_possible": step.blocked or None,
    }


def _outcome_json(outcome: UndoOutcome) -> dict[str, Any]:
    done = outcome.done
    return {
        "session": outcome.plan.session.id,
        "partnership": outcome.plan.session.partnership,
        "dry_run": outcome.dry_run,
        "done": [_step_json(s) for s in done],
        "left_alone": [_step_json(s) for s in outcome.plan.changed_since if s not in done],
        "not_possible": [_step_json(s) for s in outcome.plan.blocked],
        "errors": [{"item": p.item, "message": p.message} for p in outcome.written.problems],
        "sync": None if outcome.sync is None else result_json(outcome.sync),
    }
