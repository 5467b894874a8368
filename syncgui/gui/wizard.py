"""The partnership wizard: two stores, then name, direction, policy and schedule; the
partnership is added on the job thread; when both stores already hold contacts, a dry run
shows what the first sync would do, with the contacts it would combine as the same person
(the user may untick a match: it is refused before the first sync), before the user says
"Sync now" or "Not now". A cancel before any sync of it started removes the partnership
again."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from syncgui.engine import Direction, Policy, SessionResult, Status
from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.match_preview import MatchPreview, Pair
from syncgui.gui.partnership_fields import DirectionChoice, fill_policies
from syncgui.gui.schedule_dialog import ScheduleFields
from syncgui.gui.widgets import while_alive, wrapping_label
from syncgui.gui.wizard_store import StorePage
from syncgui.service import store_resources

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

#: the timed sync a partnership with an online address book gets unless the user sets one:
#: a server's changes are not seen otherwise (local changes sync when they happen)
ONLINE_INTERVAL = 15


class SettingsPage(QWizardPage):
    """Name, direction, policy, schedule; "Add partnership" adds it (errors shown here)."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("settings")
        self.setTitle(self.tr("How to keep them in step"))
        self.setCommitPage(True)
        self.added: str | None = None
        self._abandoned = [False]  # the wizard was cancelled while adding (see abandon)
        self._busy = False
        self._named_by_user = False
        self._online_interval = False  # the interval is ONLINE_INTERVAL because of a server
        self.name = QLineEdit(self)
        self.name.setObjectName("name")
        self.name.setMaxLength(64)
        self.name.textEdited.connect(self._on_name_edited)
        self.name.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.directions = DirectionChoice(self)
        self.two_way, self.a_to_b, self.b_to_a = self.directions.radios()
        self.policy = QComboBox(self)
        self.policy.setObjectName("policy")
        self.policy_help = wrapping_label("", self)
        self.policy.currentIndexChanged.connect(self._on_policy_changed)
        self.schedule = ScheduleFields(parent=self)
        self.error = wrapping_label("", self)
        self.error.setObjectName("error")
        self.error.setVisible(False)
        form = QFormLayout(self)
        form.addRow(self.tr("&Name:"), self.name)
        form.addRow(self.tr("Direction:"), self.two_way)
        form.addRow("", self.a_to_b)
        form.addRow("", self.b_to_a)
        form.addRow(self.tr("When both sides &change a contact:"), self.policy)
        form.addRow("", self.policy_help)
        form.addRow(self.schedule)
        form.addRow(self.error)

    def _pages(self) -> tuple[StorePage, StorePage]:
        wizard = self.wizard()
        assert isinstance(wizard, PartnershipWizard)
        return wizard.page_a, wizard.page_b

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        a, b = (p.friendly() for p in self._pages())
        if not self._named_by_user:
            self.name.setText(wording.safe_name(f"{a} - {b}"))
        self.directions.name_stores(a, b)
        fill_policies(self.policy, a, b)
        self._on_policy_changed()
        self._default_interval()
        kinds = {wording.store_kind(p.spec()) for p in self._pages()}
        self.schedule.show_for(phone="phone" in kinds, local=bool(kinds & {"folder", "file"}))

    def _default_interval(self) -> None:
        """Every 15 minutes when a store is online (a server tells nobody of its changes),
        unless the user chose an interval; back to none when no store is online any more."""
        online = any(p.spec().startswith("carddav:") for p in self._pages())
        interval = self.schedule.interval
        if online and interval.value() == 0 and not self._online_interval:
            interval.setValue(ONLINE_INTERVAL)
            self._online_interval = True
        elif not online and self._online_interval and interval.value() == ONLINE_INTERVAL:
            interval.setValue(0)
            self._online_interval = False

    def _on_name_edited(self, _text: str) -> None:
        self._named_by_user = True

    def _on_policy_changed(self, _index: int = 0) -> None:
        a, b = (p.friendly() for p in self._pages())
        policy = self.policy.currentData()
        if isinstance(policy, Policy):
            self.policy_help.setText(wording.policy_help(policy, a, b))

    def direction(self) -> Direction:
        return self.directions.direction()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return bool(self.name.text().strip()) and not self._busy

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if self.added is not None:
            return True
        if self._busy:
            return False
        page_a, page_b = self._pages()
        name, a, b = self.name.text().strip(), page_a.spec(), page_b.spec()
        direction, schedule = self.direction(), self.schedule.schedule()
        policy = self.policy.currentData()
        self._set_busy(True, self.tr("Adding the partnership…"))
        controller, abandoned = self.controller, self._abandoned
        on_added = while_alive(self, lambda result: self._on_added(name, a, b, result))

        def added(result: Any) -> None:
            if abandoned[0]:  # cancelled while adding: the user did not want it
                remove_partnership(controller, name)
                return
            controller.refresh()  # also when the wizard was closed meanwhile
            on_added(result)

        controller.call(
            lambda s: s.add_partnership(name, a, b, direction, policy, schedule),
            added,
            while_alive(self, self._on_failed),
        )
        return False

    def abandon(self) -> None:
        """The wizard is cancelled: remove what it added (or is adding)."""
        self._abandoned[0] = True
        if self.added is not None:
            remove_partnership(self.controller, self.added)
            self.added = None

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.error.setText(text)
        self.error.setVisible(bool(text))
        for w in (self.name, self.policy, self.two_way, self.a_to_b, self.b_to_a, self.schedule):
            w.setEnabled(not busy)
        self.completeChanged.emit()

    def _on_failed(self, message: str) -> None:
        self._set_busy(False, "⚠ " + message)
        self.name.setFocus()

    def _on_added(self, name: str, a: str, b: str, result: Any) -> None:
        wizard = self.wizard()
        assert isinstance(wizard, PartnershipWizard)
        self.added = name  # from now on, a cancel removes it
        wizard.notes = list(result[1]) if isinstance(result, tuple) else []
        wizard.partnership_added.emit(name)
        self.error.setText(self.tr("Looking at what both stores hold…"))

        def counted(counts: Any) -> None:
            wizard.counts = counts if isinstance(counts, tuple) else (None, None)
            self._set_busy(False)
            wizard.next()

        self.controller.call(
            lambda s: (s.count_cards(a), s.count_cards(b)),
            while_alive(self, counted),
            while_alive(self, lambda _m: counted(None)),
            resources=store_resources(a) | store_resources(b),
        )


class ReadyPage(QWizardPage):
    """The partnership exists; for two non-empty stores a preview of the first sync."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("ready")
        self.setTitle(self.tr("Ready"))
        self.previewed = False
        self.summary = wrapping_label("", self)
        self.summary.setObjectName("summary")
        self.preview = wrapping_label("", self)
        self.preview.setObjectName("preview")
        self.matches = MatchPreview(self)
        self.sync_now = QRadioButton(self.tr("&Sync now"), self)
        self.sync_now.setObjectName("syncNow")
        self.not_now = QRadioButton(self.tr("&Not now: I will press Sync when I am ready"), self)
        self.not_now.setObjectName("notNow")
        self.sync_now.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.preview)
        layout.addWidget(self.matches, 10)  # the lists take the room when shown
        layout.addSpacing(self.fontMetrics().height())
        layout.addWidget(self.sync_now)
        layout.addWidget(self.not_now)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        wizard = self.wizard()
        assert isinstance(wizard, PartnershipWizard)
        name = wizard.settings.added or ""
        a, b = wizard.page_a.friendly(), wizard.page_b.friendly()
        count_a, count_b = wizard.counts
        lines = [self.tr("The partnership “%1” is added.").replace("%1", name)]
        lines += wizard.notes
        if count_a and count_b:
            lines.append(
                self.tr("Both stores hold contacts already: %1 on %2 and %3 on %4.")
                .replace("%1", str(count_a))
                .replace("%2", a)
                .replace("%3", str(count_b))
                .replace("%4", b)
            )
            self.preview.setText(self.tr("Working out what the first sync would do…"))
            self.preview.setVisible(True)
            self.previewed = True
            self.controller.call(
                lambda s: s.sync([name], dry_run=True, trigger="preview"),
                while_alive(self, lambda results: self._on_preview(results, a, b)),
                while_alive(
                    self, lambda m: self.preview.setText(self.tr("No preview: %1").replace("%1", m))
                ),
                resources=self.controller.resources(name),
            )
        else:
            self.preview.setVisible(False)
        self.summary.setText("\n".join(lines))

    def _on_preview(self, results: Any, a: str, b: str) -> None:
        result = results[0] if isinstance(results, list) and results else None
        if not isinstance(result, SessionResult):
            return
        if result.status is Status.BLOCKED:
            text = wording.plural(
                len(result.blocked_items),
                self.tr(
                    "The first sync would delete {n} contact from %1; you will be asked first."
                ),
                self.tr(
                    "The first sync would delete {n} contacts from %1; you will be asked first."
                ),
            ).replace("%1", result.blocked_store or "")
        else:
            text = self.tr("The first sync would do this: %1").replace(
                "%1", wording.preview_text(result, a, b)
            )
        self.preview.setText(text)
        self.matches.show_result(result, a, b)

    def refused(self) -> list[Pair]:
        """The matches the user unticked in the preview."""
        return self.matches.refused()


class PartnershipWizard(QWizard):
    """``partnership_added(name)`` once the partnership exists; ``partnership_dropped(name)``
    when a cancel removes it again."""

    partnership_added = Signal(str)
    partnership_dropped = Signal(str)

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("wizard")
        self.setWindowTitle(self.tr("New partnership"))
        self.counts: tuple[int | None, int | None] = (None, None)
        self.notes: list[str] = []
        self.page_a = StorePage(controller, True, self)
        self.page_b = StorePage(controller, False, self)
        self.settings = SettingsPage(controller, self)
        self.ready = ReadyPage(controller, self)
        for page in (self.page_a, self.page_b, self.settings, self.ready):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("&Add partnership"))
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        char, line = self.fontMetrics().averageCharWidth(), self.fontMetrics().height()
        self.resize(char * 90, line * 34)

    def accept(self) -> None:
        """Finish: the matches unticked in the preview are refused first (whether or not
        it syncs now), then the first sync starts if the user chose "Sync now"."""
        name = self.settings.added
        sync_now = self.ready.sync_now.isChecked()
        refused = self.ready.refused()
        if name and refused:
            refuse_then_sync(self.controller, name, refused, sync_now)
        elif name and sync_now:
            self.controller.sync([name])
        super().accept()

    def reject(self) -> None:
        """Cancel (also after the partnership was added: no sync of it started yet, so it
        is removed again; the wizard just closes)."""
        added = self.settings.added
        self.settings.abandon()
        if added:
            self.partnership_dropped.emit(added)
        super().reject()


def refuse_then_sync(
    controller: AppController, name: str, refused: list[Pair], sync_now: bool
) -> None:
    """Record the matches of ``name`` the user refused (on the job thread, in line with its
    sessions), then sync it when ``sync_now``. When they cannot be recorded nothing syncs:
    the sync would combine contacts the user said are not the same; the problem is listed."""
    log.info("%s: refusing %d match(es) before the first sync", name, len(refused))

    def done(_result: object) -> None:
        if sync_now:
            controller.sync([name])

    def failed(message: str) -> None:
        text = translate(
            "PartnershipWizard",
            "The contacts you unticked could not be kept apart, so nothing was synced: %1",
        )
        controller.report_problem(name, name, text.replace("%1", message))

    controller.call(
        lambda s: s.refuse_matches(name, refused),
        done,
        failed,
        resources=controller.resources(name),
    )


def remove_partnership(controller: AppController, name: str) -> None:
    """Remove ``name`` on the job thread (the wizard that added it was cancelled)."""
    log.info("the wizard was cancelled: removing the partnership %s it added", name)

    def failed(message: str) -> None:
        log.warning("could not remove the partnership %s: %s", name, message)
        controller.report_problem(name, name, message)
        controller.refresh()

    controller.call(
        lambda s: s.remove_partnership(name),
        lambda _r: controller.refresh(),
        failed,
        resources=controller.resources(name),  # after a sync of it that runs, never beside
    )
