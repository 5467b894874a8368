"""The wizard's online address book (CardDAV) choice: an account already added, or a new one
(server address, user name, password); "Sign in" finds the account's address books with how
many contacts each holds, and the user picks one. The password goes to the system keyring
(the service keeps it there only once the server accepted it). A refused password, an
unknown server, a certificate problem or an account with no address book is said on the
page with what to do."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui.controller import AppController
from syncgui.gui.widgets import while_alive, wrapping_label
from syncgui.service import Account, JobError, OnlineBook, SyncPort

__all__ = ["OnlineChoice", "account_name_for", "server_url"]

log = logging.getLogger(__name__)

NEW = ""  # the account list's "New account…" entry

_LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


def server_url(text: str) -> str:
    """What the user typed as a server address, as a URL: ``https://`` is added when no
    scheme is given (``http://`` for this computer's own address, as for a Radicale run
    here)."""
    text = text.strip()
    if not text or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        return text
    host = text.split("/", 1)[0].rsplit(":", 1)[0] if not text.startswith("[") else text
    scheme = "http" if host.startswith(_LOOPBACK) else "https"
    return f"{scheme}://{text}"


def account_name_for(url: str, user: str, accounts: list[Account]) -> str:
    """A name for a new account on ``url`` for ``user``: the server's host (with its port),
    made unique; an account already there for the same server and user keeps its name (it
    is signed in again)."""
    for account in accounts:
        if account.url == url and (account.user or "") == user:
            return account.name
    parts = urlsplit(url)
    base = (parts.hostname or "account") + (f"-{parts.port}" if parts.port else "")
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._")[:56] or "account"
    taken = {a.name for a in accounts}
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


class OnlineChoice(QWidget):
    """The CardDAV part of a store page; ``changed`` whenever :meth:`spec` may have."""

    changed = Signal()

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._busy = False
        self._signed_in = ""  # the account whose books are listed
        self._refused = False  # the chosen account's server refused its password
        self._keyring_checked = False
        self._no_keyring = ""  # why no password can be kept here ("" : it can)
        self.account = QComboBox(self)
        self.account.setObjectName("account")
        self.account.currentIndexChanged.connect(self._on_account_changed)
        self.server = QLineEdit(self)
        self.server.setObjectName("server")
        self.server.setPlaceholderText(self.tr("e.g. https://cloud.example.com"))
        self.user = QLineEdit(self)
        self.user.setObjectName("user")
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        for edit in (self.server, self.user, self.password):
            edit.textChanged.connect(self._update)
            edit.returnPressed.connect(self.sign_in)
        self.sign_in_button = QPushButton(self.tr("&Sign in"), self)
        self.sign_in_button.setObjectName("signIn")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.status = wrapping_label("", self)
        self.status.setObjectName("onlineStatus")
        self.books = QTreeWidget(self)
        self.books.setObjectName("books")
        self.books.setHeaderLabels([self.tr("Address book"), self.tr("Contacts")])
        self.books.setRootIsDecorated(False)
        self.books.header().resizeSection(0, self.fontMetrics().averageCharWidth() * 40)
        self.books.currentItemChanged.connect(lambda *_a: self.changed.emit())
        self.help = wrapping_label(
            self.tr(
                "Nextcloud: your Nextcloud address (an app password if you use two-step "
                "sign-in). iCloud: contacts.icloud.com with an app-specific password from "
                "appleid.apple.com. Fastmail: carddav.fastmail.com with an app password. "
                "Radicale, Baïkal, mailbox.org, Synology: the server's address. Google "
                "Contacts needs a sign-in (OAuth) that is not supported yet."
            ),
            self,
        )
        self.help.setObjectName("onlineHelp")
        self.form = QFormLayout()
        self.form.addRow(self.tr("A&ccount:"), self.account)
        self.form.addRow(self.tr("Server a&ddress:"), self.server)
        self.form.addRow(self.tr("&User name:"), self.user)
        self.form.addRow(self.tr("Pass&word:"), self.password)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.form)
        layout.addLayout(row)
        layout.addWidget(self.books, 1)
        layout.addWidget(self.help)
        controller.accounts_changed.connect(self.show_accounts)
        self.show_accounts()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """When first shown: is there a keyring to keep a password in? (Asked on the job
        thread: it may start a D-Bus service.)"""
        super().showEvent(event)
        if not self._keyring_checked:
            self._keyring_checked = True
            self.controller.call_job(
                lambda s: s.check_keyring(),
                lambda _r: None,
                while_alive(self, self._keyring_missing),
            )

    def _keyring_missing(self, error: JobError) -> None:
        log.info("no keyring for the wizard's new accounts: %s", error.message)
        self._no_keyring = self.tr(
            "There is no system keyring here to keep a password in. Start your desktop’s "
            "keyring (GNOME Keyring, KWallet), or add the account in a terminal with a command "
            "that prints its password — syncgui-cli account add NAME URL --user USER "
            '--password-command "pass show nextcloud" — and choose it above. A server that '
            "needs no password can be added here as it is."
        )
        if self.chosen_account() == NEW:
            self.status.setText("⚠ " + self._no_keyring)

    # -- accounts ---------------------------------------------------------------------------
    def show_accounts(self, select: str | None = None) -> None:
        """Fill the account list (the new-account entry last), keeping the choice (at
        first: the first account, if there is one)."""
        accounts = self.controller.accounts()
        if select is not None:
            current = select
        elif self.account.count() == 0:
            current = accounts[0].name if accounts else NEW
        else:
            current = self.chosen_account()
        self.account.blockSignals(True)
        self.account.clear()
        for a in accounts:
            where = urlsplit(a.url).netloc.rpartition("@")[2] or a.url
            self.account.addItem(f"{a.name} ({a.user}, {where})" if a.user else a.name, a.name)
        self.account.addItem(self.tr("New account…"), NEW)
        index = self.account.findData(current)
        self.account.setCurrentIndex(index if index >= 0 else 0)
        self.account.blockSignals(False)
        self._on_account_changed()

    def chosen_account(self) -> str:
        data = self.account.currentData()
        return str(data) if data else NEW

    def _on_account_changed(self, _index: int = 0) -> None:
        name = self.chosen_account()
        new = name == NEW
        self._refused = False
        for field in (self.server, self.user):
            field.setVisible(new)
            label = self.form.labelForField(field)
            if label is not None:
                label.setVisible(new)
        self._show_password(new)
        if name != self._signed_in:
            self.books.clear()
            self._signed_in = ""
            if new and self._no_keyring:
                self.status.setText("⚠ " + self._no_keyring)
            elif new:
                self.status.setText(
                    self.tr("Enter the server’s address and your sign-in, then press Sign in.")
                )
            else:
                text = self.tr("Press Sign in to see the address books of %1.")
                self.status.setText(text.replace("%1", name))
        self._update()
        self.changed.emit()

    def _show_password(self, shown: bool) -> None:
        self.password.setVisible(shown)
        label = self.form.labelForField(self.password)
        if label is not None:
            label.setVisible(shown)

    def _update(self) -> None:
        new = self.chosen_account() == NEW
        ready = bool(self.server.text().strip()) if new else True
        if self._refused:
            ready = bool(self.password.text())
        self.sign_in_button.setEnabled(ready and not self._busy)
        # the fields stay usable while signing in: disabling the one with the keyboard focus
        # would leave a keyboard user nowhere
        self.account.setEnabled(not self._busy)

    # -- signing in -------------------------------------------------------------------------
    def sign_in(self) -> None:
        """Sign in (on the job thread) and list the address books."""
        if self._busy or not self.sign_in_button.isEnabled():
            return
        name = self.chosen_account()
        password = self.password.text()
        if name == NEW:
            url = server_url(self.server.text())
            user = self.user.text().strip()
            name = account_name_for(url, user, self.controller.accounts())

            def work(s: SyncPort) -> list[OnlineBook]:
                added = s.add_account(name, url, user or None, password=password if user else None)
                return list(added.books)

            self._start(name, work, self.tr("Signing in to %1…").replace("%1", url))
        elif self._refused:
            self._start(
                name,
                lambda s: s.set_password(name, password),
                self.tr("Signing in as %1…").replace("%1", name),
            )
        else:
            self._start(
                name,
                lambda s: s.address_books(name),
                self.tr("Signing in as %1…").replace("%1", name),
            )

    def _start(self, name: str, work: Callable[[SyncPort], list[OnlineBook]], text: str) -> None:
        self._busy = True
        self.status.setText(text)
        self._update()
        self.controller.call_job(
            work,
            while_alive(self, lambda books: self._signed_in_to(name, books)),
            while_alive(self, lambda error: self._failed(name, error)),
        )

    def _signed_in_to(self, name: str, books: list[OnlineBook]) -> None:
        self._busy = False
        self._refused = False
        self._signed_in = name
        self.password.clear()
        self.controller.refresh()  # the new account (and its books) in every list
        if self.chosen_account() != name:
            self.account.blockSignals(True)
            if self.account.findData(name) < 0:
                self.account.insertItem(self.account.count() - 1, name, name)
            self.account.setCurrentIndex(self.account.findData(name))
            self.account.blockSignals(False)
            self._on_account_changed()
        self._show_books(name, books)
        self._update()

    def _show_books(self, name: str, books: list[OnlineBook]) -> None:
        self.books.clear()
        if not books:
            self.status.setText(
                "⚠ "
                + self.tr(
                    "Signed in to the account %1, but it has no address book. Create one on the "
                    "server (in its web page: Contacts → new address book), then press Sign in "
                    "again."
                ).replace("%1", name)
            )
            self.changed.emit()
            return
        self.status.setText(
            self.tr(
                "Signed in to the account %1. Choose the address book to keep in step:"
            ).replace("%1", name)
        )
        for book in books:
            count = "" if book.count is None else QLocale().toString(book.count)
            item = QTreeWidgetItem([book.name, count])
            item.setData(0, Qt.ItemDataRole.UserRole, book.segment)
            item.setToolTip(0, book.url)
            self.books.addTopLevelItem(item)
        first = self.books.topLevelItem(0)
        if first is not None:
            self.books.setCurrentItem(first)
        self.changed.emit()

    def _failed(self, name: str, error: JobError) -> None:
        self._busy = False
        self.books.clear()
        self._signed_in = ""
        if error.sign_in:  # the message says to enter the password again: where, shown
            self._refused = self.chosen_account() != NEW
            self._show_password(True)
            self.password.selectAll()
            self.password.setFocus()
        self.status.setText("⚠ " + error.message)
        self._update()
        self.changed.emit()

    # -- result -----------------------------------------------------------------------------
    def friendly(self) -> str:
        """The chosen book as "BOOK on ACCOUNT", with the book's own name."""
        item = self.books.currentItem()
        if item is None or not self._signed_in:
            return ""
        return self.tr("%1 on %2").replace("%1", item.text(0)).replace("%2", self._signed_in)

    def spec(self) -> str:
        item = self.books.currentItem()
        if item is None or not self._signed_in:
            return ""
        segment = str(item.data(0, Qt.ItemDataRole.UserRole) or "")
        return f"carddav:{self._signed_in}/{segment}" if segment else ""
