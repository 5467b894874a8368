"""The History tab's line under its list: how many versions are kept, the space they take
and the limits from settings.json, as ``syncgui-cli history --usage`` says it; read with the
list (one job, no store), again after a session."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from syncgui.gui import wording
from syncgui.gui.controller import AppController
from tests.gui.fake_service import FakeDesktop, make_kept
from tests.gui.test_history_view import keep, open_view, settle


def test_the_usage_line_under_the_list(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    keep(fake, (1, "Ada Lovelace", "phone", 1000.0), (2, "Alan Turing", "phone", 2000.0))
    fake.history_size = 2_300_000
    view = open_view(qtbot, controller)
    assert view.usage.isVisible()
    assert view.usage.text() == (
        f"2 versions kept, {wording.human_size(2_300_000)}; kept 365 days, at most 20 "
        "versions per contact (settings.json: history_days, history_versions)"
    )
    assert view.usage.toolTip() == (
        f"The oldest kept version is from {wording.local_time(1000.0)}."
    )
    assert len(fake.called("history_usage")) == 1
    assert not fake.called("history_detail")  # no store was read for it

    entry, _detail = make_kept(3, "Grace Hopper", at=3000.0)
    fake.kept_versions.append(entry)
    fake.history_size = 1000
    controller.sync(["phone"], trigger="manual")  # a session may keep versions: read again
    qtbot.waitUntil(lambda: view.usage.text().startswith("3 versions kept, "), timeout=5000)
    settle(qtbot, controller)
    assert wording.human_size(1000) in view.usage.text()


def test_an_empty_history_says_so_in_the_line_too(
    qtbot: QtBot, fake: FakeDesktop, controller: AppController
) -> None:
    view = open_view(qtbot, controller)
    assert view.usage.text().startswith(f"0 versions kept, {wording.human_size(0)}; kept 365 days")
    assert view.usage.toolTip() == ""
