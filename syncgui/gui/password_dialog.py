"""Asks for an account's password again after its server refused it: the new password is
tried on the server (on the job thread) and kept in the system keyring only when the server
accepts it; then the partnerships that use the account sync again. "Not now" leaves the
account waiting: automatic syncs that use it do not run until a password is accepted."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from syncgui.gui.controller import AppController
from syncgui.gui.widgets import while_alive, wrapping_label
from syncgui.service import Account, JobError


class PasswordDialog(QDialog):
    """The password of ``account``; ``message``: what the server said."""

    def __init__(
        self,
        controller: AppController,
        account: Account,
        message: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.account = account
        self.setObjectName("passwordDialog")
        self.setWindowTitle(self.tr("Password for %1").replace("%1", account.name))
        self.said = wrapping_label(message, self)
        self.said.setObjectName("said")
        if account.password_command is not None:
            what = self.tr(
                "This account takes its password from the command “%1”. Change the password "
                "where that command reads it, then sync again."
            ).replace("%1", " ".join(account.password_command))
        else:
            what = (
                self.tr(
                    "Enter the password of %1 on %2. It is kept in the system keyring, never in "
                    "a file. For iCloud, Fastmail and accounts with two-step sign-in, use an "
                    "app-specific password."
                )
                .replace("%1", account.user or "")
                .replace("%2", account.url)
            )
        self.what = wrapping_label(what, self)
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.textChanged.connect(self._update)
        self.error = wrapping_label("", self)
        self.error.setObjectName("error")
        self.error.setVisible(False)
        buttons = QDialogButtonBox(self)
        self.sign_in = QPushButton(self.tr("&Sign in"), self)
        self.sign_in.setObjectName("signIn")
        self.sign_in.setDefault(True)
        later = buttons.addButton(self.tr("&Not now"), QDialogButtonBox.ButtonRole.RejectRole)
        later.setObjectName("notNow")
        buttons.addButton(self.sign_in, QDialogButtonBox.ButtonRole.ActionRole)
        self.sign_in.clicked.connect(self.try_password)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("&Password:"), self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.said)
        layout.addWidget(self.what)
        if account.password_command is None:
            layout.addLayout(form)
        else:
            self.password.setVisible(False)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 64, self.sizeHint().height())
        self._busy = False
        self._update()

    def _update(self) -> None:
        usable = self.account.password_command is None
        self.sign_in.setVisible(usable)
        self.sign_in.setEnabled(usable and not self._busy and bool(self.password.text()))

    def try_password(self) -> None:
        """Sign in with the password typed (on the job thread)."""
        password = self.password.text()
        if not password or self._busy:
            return
        self._busy = True
        self.password.setEnabled(False)
        self.error.setText(self.tr("Signing in…"))
        self.error.setVisible(True)
        self._update()
        name = self.account.name
        self.controller.call_job(
            lambda s: s.set_password(name, password),
            while_alive(self, self._accepted),
            while_alive(self, self._refused),
        )

    def _accepted(self, _books: object) -> None:
        self.controller.password_accepted(self.account.name)
        self.accept()

    def _refused(self, error: JobError) -> None:
        self._busy = False
        self.password.setEnabled(True)
        if error.sign_in:
            text = self.tr("The server did not accept this password either. %1")
            self.error.setText("⚠ " + text.replace("%1", error.message))
        else:
            self.error.setText("⚠ " + error.message)
        self.password.selectAll()
        self.password.setFocus()
        self._update()
