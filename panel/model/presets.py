"""Export presets: named pairs of codec and container, the editor's own, remembered between runs.

The five a facility starts with are the deliverables editors ask for by name; the editor can rename,
add, change and remove them (Export presets…). A preset is checked against the engine's codecs (each
codec names the containers it can go in), so one that can't be written is refused in words before a
job is sent. A PNG sequence has no container: its output is a folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from PySide6.QtCore import QSettings

SEQUENCE = ""  # the container of an image sequence: a folder


@dataclass(frozen=True)
class Preset:
    name: str
    codec: str  # an engine codec name: prores_422hq, prores_4444, dnxhr_hqx, h264, ffv1, png
    container: str  # ".mov", ".mxf", ".mp4", ".mkv", or SEQUENCE

    @property
    def where(self) -> str:
        return "folder of PNGs" if self.container == SEQUENCE else self.container


DEFAULTS = (
    Preset("ProRes 422 HQ", "prores_422hq", ".mov"),
    Preset("ProRes 4444 with alpha", "prores_4444", ".mov"),
    Preset("DNxHR HQX", "dnxhr_hqx", ".mxf"),
    Preset("H.264 review", "h264", ".mp4"),
    Preset("PNG sequence", "png", SEQUENCE),
)


def problem(preset: Preset, codecs: dict[str, tuple[str, ...]] | None, others: Iterable[Preset] = ()) -> str:
    """Why a preset can't be used, in words ("" when it can). `codecs`: the engine's codec -> containers
    (None while no engine is connected: the codec is then checked when the job is sent)."""
    if not preset.name.strip():
        return "a preset needs a name"
    if any(o.name == preset.name for o in others):
        return f"there is already a preset named “{preset.name}”"
    if codecs is not None:
        if preset.codec not in codecs:
            return f"the engine has no codec {preset.codec!r} (it has {', '.join(sorted(codecs))})"
        if preset.container not in codecs[preset.codec]:
            where = ", ".join("a folder of images" if c == SEQUENCE else c for c in codecs[preset.codec])
            return f"{preset.codec} can't go in {preset.where}: use {where}"
    return ""


class PresetStore:
    """The presets in the panel's settings (QSettings: a JSON list), and which one is chosen."""

    def __init__(self, q: QSettings) -> None:
        self.q = q

    def load(self) -> list[Preset]:
        text = self.q.value("export/presets", "")
        if not text:
            return list(DEFAULTS)
        try:
            return [Preset(str(p["name"]), str(p["codec"]), str(p["container"])) for p in json.loads(str(text))]
        except (ValueError, TypeError, KeyError):
            return list(DEFAULTS)  # a damaged setting is the defaults again, never a panel that won't start

    def save(self, presets: list[Preset]) -> None:
        self.q.setValue("export/presets", json.dumps([asdict(p) for p in presets]))
        self.q.sync()

    @property
    def chosen(self) -> str:
        return str(self.q.value("export/chosen", "") or "")

    def choose(self, name: str) -> None:
        self.q.setValue("export/chosen", name)
        self.q.sync()
