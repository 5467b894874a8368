"""The app's language: Qt's own texts (standard buttons, context menus) and syncgui's, both
for the locale (the system's, or what :meth:`QLocale.setDefault` made the default).

syncgui's translations are ``syncgui_<locale>.qm`` files in the resources'
``translations`` folder (:func:`.resources.translations_dir`); a locale without one, or an
installation without the folder, shows the English texts."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from syncgui.gui.resources import translations_dir

__all__ = ["install_translations"]

log = logging.getLogger(__name__)


def install_translations(app: QCoreApplication) -> list[QTranslator]:
    """Install the translations that exist for the locale; returns their translators
    (owned by ``app``)."""
    locale = QLocale()
    places = [("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    if (ours := translations_dir()) is not None:
        places.append(("syncgui", str(ours)))
    installed: list[QTranslator] = []
    for name, folder in places:
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder) and app.installTranslator(translator):
            installed.append(translator)
        else:
            translator.deleteLater()
    files = ", ".join(t.filePath() for t in installed) or "none"
    log.info("translations for %s: %s", locale.name(), files)
    return installed
