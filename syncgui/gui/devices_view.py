"""The devices the app sees: each phone's state, what to do about it, and its storages."""

from __future__ import annotations

from PySide6.QtWidgets import QStyle, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from syncgui.gui.controller import AppController
from syncgui.gui.widgets import wrapping_label
from syncgui.gui.wording import human_size
from syncgui.service import NO_DEVICES_HINT, DeviceReport


class DevicesView(QWidget):
    """A tree of devices (name, state, free space) with hints and storages below each."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("devicesTree")
        self.tree.setHeaderLabels([self.tr("Device"), self.tr("State"), self.tr("Free space")])
        self.tree.setRootIsDecorated(True)
        self.tree.setWordWrap(True)
        self.tree.header().setStretchLastSection(True)
        char = self.fontMetrics().averageCharWidth()
        self.tree.header().resizeSection(0, char * 36)
        self.tree.header().resizeSection(1, char * 28)
        self.empty = wrapping_label(
            self.tr("No phone is connected. %1").replace("%1", NO_DEVICES_HINT), self
        )
        self.empty.setObjectName("devicesEmpty")
        self.notes = wrapping_label("", self)
        self.notes.setObjectName("devicesNotes")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.notes)
        controller.devices_changed.connect(self._on_devices_changed)
        self._on_devices_changed()

    def state_text(self, device: DeviceReport) -> str:
        return {
            "ready": self.tr("Ready"),
            "locked": self.tr("Locked"),
            "busy": self.tr("In use by another program"),
            "no-permission": self.tr("No permission"),
            "not-mtp": self.tr("Not in file transfer mode"),
        }.get(device.state, device.state)

    def _on_devices_changed(self) -> None:
        devices = self.controller.devices()
        self.tree.clear()
        style = self.style()
        ok = style.standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)
        warn = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for device in devices:
            free = sum(s.free for s in device.storages)
            item = QTreeWidgetItem(
                [device.name, self.state_text(device), human_size(free) if device.storages else ""]
            )
            item.setIcon(0, ok if device.state == "ready" else warn)
            item.setToolTip(0, device.serial or device.location)
            item.setToolTip(1, device.hint)
            hint = QTreeWidgetItem([device.hint]) if device.hint else None
            if hint is not None:
                hint.setToolTip(0, device.hint)
                item.addChild(hint)
            for s in device.storages:
                text = self.tr("%1 free of %2").replace("%1", human_size(s.free))
                item.addChild(
                    QTreeWidgetItem([s.description, "", text.replace("%2", human_size(s.capacity))])
                )
            self.tree.addTopLevelItem(item)
            if hint is not None:
                hint.setFirstColumnSpanned(True)  # only works once in the tree
            item.setExpanded(True)
        self.empty.setVisible(not devices)
        self.tree.setVisible(bool(devices))
        notes = self.controller.device_notes()
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
