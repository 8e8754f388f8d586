"""Export presets in the panel: the Run section's choice, the editor's list (Presets…), remembered.

The list and the choice live in the panel's settings, so both come back after a restart. Once the
engine is connected, a preset its codecs can't write is named in the "To run" line before Generate.
"""

from __future__ import annotations

from .host import Host
from .model.presets import Preset, PresetStore, problem
from .widgets.presets_dialog import PresetsDialog


class ExportController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.window = w = host.window
        self.store = PresetStore(host.settings.q)
        self.presets = self.store.load()
        self.codecs: dict[str, tuple[str, ...]] | None = None  # the engine's, once connected
        self._fill(self.store.chosen)
        w.edit.preset.currentIndexChanged.connect(self._chosen)
        w.edit.edit_presets.clicked.connect(self.edit)
        host.link.connected.connect(self._connected)

    def _fill(self, chosen: str) -> None:
        combo = self.window.edit.preset
        combo.blockSignals(True)
        combo.clear()
        for p in self.presets:
            combo.addItem(p.name, p.name)
            combo.setItemData(combo.count() - 1, f"{p.codec} · {p.where}", 3)  # Qt.ToolTipRole
        index = combo.findData(chosen)
        combo.setCurrentIndex(index if index >= 0 else 0)
        combo.blockSignals(False)

    def _chosen(self, _: int) -> None:
        self.store.choose(self.window.edit.preset.currentData())
        self.host.update_ready()

    def _connected(self, caps: object) -> None:
        self.codecs = {c.name: tuple(c.extensions) for c in caps.codecs}
        self.host.update_ready()

    def current(self) -> Preset:
        name = self.window.edit.preset.currentData()
        return next((p for p in self.presets if p.name == name), self.presets[0])

    def problem(self) -> str:
        return problem(self.current(), self.codecs)

    # ---- the editor's list
    def edit(self) -> None:
        dialog = self.dialog()
        if dialog.exec():
            self.apply(dialog.presets)

    def dialog(self) -> PresetsDialog:
        """The editing dialog on the current list (tests drive it, then call `apply`)."""
        return PresetsDialog(self.presets, self.codecs, self.window)

    def apply(self, presets: list[Preset]) -> None:
        chosen = self.window.edit.preset.currentData()
        self.presets = list(presets)
        self.store.save(self.presets)
        self._fill(chosen)
        self.store.choose(self.window.edit.preset.currentData())
        self.host.status(f"{len(presets)} export preset(s) kept")
        self.host.update_ready()
