"""The wizard's store page: a phone (browse its folders and .vcf files), a local folder of
vCards, a local .vcf file, or an online address book (CardDAV: :mod:`.wizard_online`), made
into a store spec. A folder or file path, typed or browsed, shows how many contacts it
holds (counted on the job thread a moment after the typing stops)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from syncgui.gui import wording
from syncgui.gui.controller import AppController
from syncgui.gui.widgets import while_alive, wrapping_label
from syncgui.gui.wizard_online import OnlineChoice
from syncgui.service import (
    NO_DEVICES_HINT,
    DeviceReport,
    Place,
    SyncPort,
    device_resources,
    store_resources,
)

PHONE, FOLDER, FILE, ONLINE = range(4)
#: how long the typing must pause before a typed path is counted (ms)
COUNT_DELAY = 400


def browse_start(typed: str, folder: bool) -> str:
    """Where Browse… opens: the folder typed (for a file, the file typed or its folder),
    else the nearest folder above it that exists, else the user's home."""
    home = str(Path.home())
    text = os.path.expanduser(typed.strip())
    if not text:
        return home
    path = Path(text)
    if not path.is_absolute():
        path = Path(home) / path
    if not folder and path.parent.is_dir():
        return str(path)  # the file dialog selects the file typed (new or not)
    for place in (path, *path.parents):
        if place.is_dir():
            return str(place)
    return home


class StorePage(QWizardPage):
    """Choose one store; :meth:`spec` is its store spec ("" until chosen)."""

    def __init__(
        self, controller: AppController, first: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.first = first
        self.setObjectName("storeA" if first else "storeB")
        self.setTitle(self.tr("First store") if first else self.tr("Second store"))
        self.setSubTitle(
            self.tr(
                "Where are the contacts to keep in step? Pick a phone, a folder, a file or an "
                "online address book."
            )
            if first
            else self.tr("Where should they be kept in step with?")
        )
        self._places: dict[str, list[Place]] = {}
        self._chosen = ""  # the place chosen last (kept when the device list is refreshed)
        self.kinds = QButtonGroup(self)
        self.phone_radio = QRadioButton(self.tr("A &phone"), self)
        self.folder_radio = QRadioButton(self.tr("A &folder of vCards on this computer"), self)
        self.file_radio = QRadioButton(self.tr("A .&vcf file on this computer"), self)
        self.online_radio = QRadioButton(self.tr("An &online address book (CardDAV)"), self)
        self.online_radio.setObjectName("onlineKind")
        radios = (self.phone_radio, self.folder_radio, self.file_radio, self.online_radio)
        for i, radio in enumerate(radios):
            self.kinds.addButton(radio, i)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._phone_page())
        self.stack.addWidget(self._path_page(folder=True))
        self.stack.addWidget(self._path_page(folder=False))
        self.online = OnlineChoice(controller, self)
        self.online.changed.connect(self.completeChanged.emit)
        self.stack.addWidget(self.online)
        self.kinds.idToggled.connect(self._on_kind_toggled)
        layout = QVBoxLayout(self)
        for radio in radios:
            layout.addWidget(radio)
        layout.addWidget(self.stack, 1)
        (self.folder_radio if first else self.phone_radio).setChecked(True)
        controller.devices_changed.connect(self._on_devices_changed)

    # -- pages ------------------------------------------------------------------------
    def _phone_page(self) -> QWidget:
        page = QWidget(self)
        self.device = QComboBox(page)
        self.device.setObjectName("device")
        self.device.currentIndexChanged.connect(self._on_device_changed)
        look = QPushButton(self.tr("&Look again"), page)
        look.setObjectName("lookAgain")
        look.clicked.connect(self.controller.refresh)
        row = QHBoxLayout()
        row.addWidget(self.device, 1)
        row.addWidget(look)
        self.hint = wrapping_label("", page)
        self.hint.setObjectName("deviceHint")
        self.places = QTreeWidget(page)
        self.places.setObjectName("places")
        self.places.setHeaderLabels([self.tr("Folder or file"), self.tr("Contacts")])
        self.places.header().resizeSection(0, self.fontMetrics().averageCharWidth() * 40)
        self.places.currentItemChanged.connect(lambda *_a: self.completeChanged.emit())
        note = wrapping_label(
            self.tr(
                "Android phones do not show their address book over USB: export your contacts "
                "to a .vcf file on the phone (Contacts app → Export), then pick that file."
            ),
            page,
        )
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.hint)
        layout.addWidget(self.places, 1)
        layout.addWidget(note)
        return page

    def _path_page(self, folder: bool) -> QWidget:
        page = QWidget(self)
        edit = QLineEdit(page)
        edit.setObjectName("folderPath" if folder else "filePath")
        edit.setPlaceholderText(
            self.tr("A folder with one .vcf file per contact")
            if folder
            else self.tr("A .vcf file with many contacts (a new file is fine)")
        )
        edit.textChanged.connect(lambda _t: self.completeChanged.emit())
        browse = QPushButton(self.tr("&Browse…"), page)
        browse.setObjectName("browseFolder" if folder else "browseFile")
        browse.clicked.connect(lambda: self._browse(folder))
        count = wrapping_label("", page)
        count.setObjectName("folderCount" if folder else "fileCount")
        timer = QTimer(page)
        timer.setSingleShot(True)
        timer.setInterval(COUNT_DELAY)
        timer.timeout.connect(lambda: self._count(folder))
        edit.textChanged.connect(lambda _t: self._on_path_edited(folder))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(count)
        layout.addStretch(1)
        if folder:
            self.folder_edit, self.folder_count, self._folder_timer = edit, count, timer
        else:
            self.file_edit, self.file_count, self._file_timer = edit, count, timer
        return page

    # -- counting a typed or browsed path ---------------------------------------------
    def _path_spec(self, folder: bool) -> str:
        path = (self.folder_edit if folder else self.file_edit).text().strip()
        if not path:
            return ""
        return ("vdir:" if folder else "vcf:") + os.path.expanduser(path)

    def _on_path_edited(self, folder: bool) -> None:
        label = self.folder_count if folder else self.file_count
        timer = self._folder_timer if folder else self._file_timer
        if not self._path_spec(folder):
            timer.stop()
            label.setText("")
            return
        label.setText(self.tr("Counting the contacts…"))
        timer.start()  # restarted by each key: counted once the typing pauses

    def _count(self, folder: bool) -> None:
        spec = self._path_spec(folder)
        if not spec:
            return
        path = spec.partition(":")[2]

        def work(service: SyncPort) -> tuple[int | None, bool]:  # job thread
            return service.count_cards(spec), os.path.exists(path)

        self.controller.call(
            work,
            while_alive(self, lambda result: self._show_count(folder, spec, result)),
            while_alive(self, lambda message: self._show_count(folder, spec, message)),
            resources=store_resources(spec),
        )

    def _show_count(self, folder: bool, spec: str, result: object) -> None:
        if spec != self._path_spec(folder):
            return  # typed on meanwhile: a newer count comes
        label = self.folder_count if folder else self.file_count
        if isinstance(result, str):
            label.setText(self.tr("Cannot be read: %1").replace("%1", result))
            return
        cards, exists = result if isinstance(result, tuple) else (None, False)
        if isinstance(cards, int):
            label.setText(
                wording.plural(
                    cards,
                    self.tr("{n} contact here now"),
                    self.tr("{n} contacts here now"),
                )
                if cards
                else self.tr("No contacts here yet")
            )
        elif exists:
            label.setText(self.tr("Cannot be read now"))
        elif folder:
            label.setText(self.tr("No such folder yet: it is made when the partnership is added"))
        else:
            label.setText(self.tr("No such file yet: it is made when the partnership is added"))

    def _browse(self, folder: bool) -> None:
        if folder:
            path = QFileDialog.getExistingDirectory(
                self,
                self.tr("Choose a folder of vCards"),
                browse_start(self.folder_edit.text(), folder=True),
            )
            if path:
                self.folder_edit.setText(path)
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Choose or name a .vcf file"),
            browse_start(self.file_edit.text(), folder=False),
            self.tr("vCard files (*.vcf)"),
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.file_edit.setText(path if path.lower().endswith(".vcf") else path + ".vcf")

    # -- phones -----------------------------------------------------------------------
    def _on_kind_toggled(self, kind: int, checked: bool) -> None:
        if not checked:
            return
        self.stack.setCurrentIndex(kind)
        if kind == PHONE:
            self._on_devices_changed()
        self.completeChanged.emit()

    def _devices(self) -> list[DeviceReport]:
        return self.controller.devices()

    def _on_devices_changed(self) -> None:
        devices = self._devices()
        current = self.device.currentData()
        self.device.blockSignals(True)
        self.device.clear()
        for d in devices:
            self.device.addItem(d.name, d.key)
        index = self.device.findData(current)
        self.device.setCurrentIndex(index if index >= 0 else 0)
        self.device.blockSignals(False)
        self.device.setEnabled(bool(devices))
        self._on_device_changed()

    def _on_device_changed(self, _index: int = 0) -> None:
        chosen = self.places.currentItem()
        if chosen is not None:
            self._chosen = str(chosen.data(0, Qt.ItemDataRole.UserRole) or "")
        self.places.clear()
        device = next((d for d in self._devices() if d.key == self.device.currentData()), None)
        if device is None:
            self.hint.setText(self.tr("No phone found. %1").replace("%1", NO_DEVICES_HINT))
            self.completeChanged.emit()
            return
        if device.state != "ready":
            self.hint.setText(device.hint)
            self.completeChanged.emit()
            return
        self.hint.setText(self.tr("Choose the folder or .vcf file that holds the contacts."))
        if device.key in self._places:
            self._show_places(device.key, self._places[device.key])
            return
        self.hint.setText(self.tr("Looking at the phone’s folders…"))
        key = device.key
        self.controller.call(
            lambda s: s.places(device),
            while_alive(self, lambda places: self._show_places(key, places)),
            while_alive(self, self.hint.setText),
            resources=device_resources(device),  # never beside a sync of the same phone
        )

    def _show_places(self, key: str, places: list[Place]) -> None:
        self._places[key] = places
        if key != self.device.currentData():
            return
        self.places.clear()
        if not places:
            self.hint.setText(self.tr("No folder or .vcf file with contacts was found."))
        else:
            self.hint.setText(self.tr("Choose the folder or .vcf file that holds the contacts."))
        style = self.style()
        icons = {
            "folder": style.standardIcon(QStyle.StandardPixmap.SP_DirIcon),
            "file": style.standardIcon(QStyle.StandardPixmap.SP_FileIcon),
        }

        def add(parent: QTreeWidget | QTreeWidgetItem, place: Place) -> None:
            cards = "" if place.cards is None else QLocale().toString(place.cards)
            item = QTreeWidgetItem(parent, [place.name, cards])
            item.setIcon(0, icons[place.kind])
            item.setData(0, Qt.ItemDataRole.UserRole, place.spec)
            item.setToolTip(0, place.spec)
            for child in place.children:
                add(item, child)

        for place in places:
            add(self.places, place)
        self.places.expandAll()
        found = self.places.findItems("*", Qt.MatchFlag.MatchWildcard | Qt.MatchFlag.MatchRecursive)
        keep = [i for i in found if i.data(0, Qt.ItemDataRole.UserRole) == self._chosen]
        first = keep[0] if keep else self.places.topLevelItem(0)
        if first is not None:  # the user's choice survives a device list refresh
            self.places.setCurrentItem(first)
        self.completeChanged.emit()

    # -- result -----------------------------------------------------------------------
    def spec(self) -> str:
        kind = self.kinds.checkedId()
        if kind == PHONE:
            item = self.places.currentItem()
            if item is None or not self.places.isEnabled():
                return ""
            return str(item.data(0, Qt.ItemDataRole.UserRole) or "")
        if kind == FOLDER:
            return self._path_spec(folder=True)
        if kind == ONLINE:
            return self.online.spec()
        return self._path_spec(folder=False)

    def friendly(self) -> str:
        if self.kinds.checkedId() == ONLINE:
            return self.online.friendly()
        return wording.store_name(self.spec(), self._devices())

    def other(self) -> StorePage | None:
        wizard = self.wizard()
        page = getattr(wizard, "page_a", None) if not self.first else None
        return page if isinstance(page, StorePage) else None

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        spec = self.spec()
        other = self.other()
        return bool(spec) and (other is None or other.spec() != spec)
