"""The parser built for one command line (only the command it names) answers that command
line exactly as the whole parser does: the same options parsed, the same usage, help and
errors, the same exit code."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from syncgui.cli import build_parser

COMMAND_LINES = [
    ["sync", "phone"],
    ["--config-dir", "/c", "--data-dir=/d", "-vv", "sync", "--all", "--json", "--dry-run"],
    ["--verbose", "partnership", "add", "p", "vdir:/a", "vcf:/b", "--match", "exact"],
    ["partnership", "set", "p", "--every", "30", "--policy", "ask"],
    ["resolve", "3f2a", "--keep", "merged", "--field", "NOTE=b"],
    ["account", "add", "n", "https://x.example", "--user", "ann", "--password-stdin"],
    ["log", "p", "--limit", "5"],
    ["restore", "13", "14"],
    ["undo", "42", "--dry-run"],
    ["history", "--usage"],
    ["conflicts", "--json"],
    ["devices"],
    ["demo", "--dir", "/tmp/x"],
    # what a user gets wrong
    ["sync", "--bogus"],
    ["sync", "phone", "-v"],  # a global option after the command
    ["resolve", "3f2a", "--keep", "z"],
    ["log", "--limit", "many"],
    ["partnership"],
    ["partnership", "add", "only-a-name"],
    ["partnership", "set", "p", "--every", "-5"],
    ["undo"],
    ["restore", "x"],
    ["nosuch", "thing"],
    ["v-", "sync"],
    ["--conf", "/c", "sync"],  # an abbreviated global option
    ["--config-dir"],
    [],
    # help and the version
    ["--help"],
    ["sync", "--help"],
    ["partnership", "add", "--help"],
    ["--help", "sync"],
    ["--version"],
]


def answer(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, str, str]:
    """What ``parser`` makes of ``argv``: the options or the exit code, and its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result: object = vars(parser.parse_args(argv))
        except SystemExit as exit_:
            result = ("exit", exit_.code)
    return result, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_the_parser_for_one_command_line_answers_as_the_whole_one(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # help is wrapped to the terminal's width
    assert answer(build_parser(argv), argv) == answer(build_parser(), argv)
