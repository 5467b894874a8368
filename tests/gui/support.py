"""Helpers the GUI's tests share: waiting for the controller's jobs, opening the wizard, and
waiting for a real service's sessions."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from syncgui.gui.controller import AppController
from syncgui.gui.wizard import PartnershipWizard
from syncgui.service import SyncPort


def settle(qtbot: QtBot, ctl: AppController) -> None:
    """Wait until every job of ``ctl`` ran and reported back."""
    qtbot.waitUntil(lambda: ctl.pending_work() == 0, timeout=5000)


def open_wizard(qtbot: QtBot, ctl: AppController) -> PartnershipWizard:
    wizard = PartnershipWizard(ctl)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def synced(
    qtbot: QtBot, controller: AppController, service: SyncPort, name: str, count: int
) -> None:
    """Wait for partnership ``name``'s ``count``-th recorded session, and for nothing left."""
    qtbot.waitUntil(lambda: len(service.sessions(name)) >= count, timeout=15_000)
    qtbot.waitUntil(lambda: controller.pending_work() == 0, timeout=15_000)
