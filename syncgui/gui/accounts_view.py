"""The accounts on online address books (CardDAV): each one's server and user, where its
password is kept, its address books and the partnerships that use them, and whether its
server refused the password. "Enter password…" asks for it again; "Remove" forgets the
account and its password (refused while a partnership uses it; no contact is deleted)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui.controller import AppController
from syncgui.gui.widgets import while_alive, wrapping_label
from syncgui.service import Account

NAME, SERVER, STATE = range(3)


class AccountsView(QWidget):
    """A tree of accounts with their address books; ``password_requested(account)`` when
    the user asks to enter a password."""

    password_requested = Signal(str)

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("accountsTree")
        self.tree.setHeaderLabels([self.tr("Account"), self.tr("Server"), self.tr("State")])
        self.tree.setWordWrap(True)
        self.tree.header().setStretchLastSection(True)
        char = self.fontMetrics().averageCharWidth()
        self.tree.header().resizeSection(NAME, char * 30)
        self.tree.header().resizeSection(SERVER, char * 40)
        self.tree.currentItemChanged.connect(lambda *_a: self._update_buttons())
        self.empty = wrapping_label(
            self.tr(
                "No online address book yet. Add one with New partnership → “An online address "
                "book (CardDAV)”: Nextcloud, iCloud, Fastmail, mailbox.org, Radicale and others."
            ),
            self,
        )
        self.empty.setObjectName("accountsEmpty")
        self.password_button = QPushButton(self.tr("Enter &password…"), self)
        self.password_button.setObjectName("enterPassword")
        self.password_button.clicked.connect(self._on_password)
        self.remove_button = QPushButton(self.tr("Remo&ve account"), self)
        self.remove_button.setObjectName("removeAccount")
        self.remove_button.clicked.connect(self._on_remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.password_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        controller.accounts_changed.connect(self.show_accounts)
        controller.partnerships_changed.connect(self.show_accounts)
        self.show_accounts()

    def state_text(self, account: Account) -> str:
        if self.controller.password_wanted(account.name) is not None:
            return self.tr("The server refused the password: enter it again")
        if account.password_source == "command":
            return self.tr("Password from a command")
        if account.password_source == "keyring":
            return self.tr("Password in the system keyring")
        return self.tr("No sign-in")

    def show_accounts(self) -> None:
        accounts = self.controller.accounts()
        current = self.selected()
        self.tree.clear()
        style = self.style()
        ok = style.standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon)
        warn = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for account in accounts:
            server = f"{account.user}  ·  {account.url}" if account.user else account.url
            item = QTreeWidgetItem([account.name, server, self.state_text(account)])
            waiting = self.controller.password_wanted(account.name)
            item.setIcon(NAME, warn if waiting is not None else ok)
            item.setToolTip(STATE, waiting or item.text(STATE))
            item.setData(NAME, Qt.ItemDataRole.UserRole, account.name)
            users = self.controller.users_of(account.name)
            for book in account.books:
                using = [u for u in users if self._uses(u, account.name, book.segment, book.name)]
                text = (
                    self.tr("used by %1").replace("%1", ", ".join(using))
                    if using
                    else self.tr("not in a partnership")
                )
                child = QTreeWidgetItem([book.name, book.url, text])
                child.setData(NAME, Qt.ItemDataRole.UserRole, account.name)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)
            if account.name == current:
                self.tree.setCurrentItem(item)
        self.empty.setVisible(not accounts)
        self.tree.setVisible(bool(accounts))
        self._update_buttons()

    def _uses(self, partnership: str, account: str, segment: str, name: str) -> bool:
        row = self.controller.row(partnership)
        if row is None:
            return False
        p = row.partnership
        wanted = {f"carddav:{account}/{segment}", f"carddav:{account}/{name}"}
        return p.a in wanted or p.b in wanted

    def selected(self) -> str | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        name = item.data(NAME, Qt.ItemDataRole.UserRole)
        return str(name) if name else None

    def _account(self, name: str | None) -> Account | None:
        return next((a for a in self.controller.accounts() if a.name == name), None)

    def _update_buttons(self) -> None:
        account = self._account(self.selected())
        self.password_button.setEnabled(account is not None and account.user is not None)
        self.remove_button.setEnabled(account is not None)

    def _on_password(self) -> None:
        name = self.selected()
        if name:
            self.password_requested.emit(name)

    def _on_remove(self) -> None:
        name = self.selected()
        if not name:
            return
        users = self.controller.users_of(name)
        if users:
            QMessageBox.information(
                self,
                self.tr("Remove account"),
                self.tr(
                    "The account %1 is used by: %2. Remove those partnerships first (no contact "
                    "is deleted when a partnership is removed)."
                )
                .replace("%1", name)
                .replace("%2", ", ".join(users)),
            )
            return
        answer = QMessageBox.question(
            self,
            self.tr("Remove account"),
            self.tr(
                "Forget the account %1 and its password in the system keyring? The contacts on "
                "the server are not touched."
            ).replace("%1", name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        controller = self.controller
        controller.call(
            lambda s: s.remove_account(name),
            lambda _r: controller.refresh(),
            while_alive(self, lambda m: controller.report_problem("", name, m)),
        )
