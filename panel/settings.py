"""What the panel remembers between runs: the engine address and token, the versions folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from retakes.bridge.agent.retakes_agent import state_dir


class PanelSettings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("retakes", "panel")

    def _get(self, key: str, default: str = "") -> str:
        value = self.q.value(key, default)
        return "" if value is None else str(value)

    @property
    def engine_address(self) -> str:
        return self._get("engine/address")

    @property
    def engine_token(self) -> str:
        return self._get("engine/token")

    def remember_engine(self, address: str, token: str) -> None:
        self.q.setValue("engine/address", address)
        self.q.setValue("engine/token", token)
        self.q.sync()

    @property
    def versions_root(self) -> Path:
        return Path(self._get("versions/root") or state_dir() / "versions")

    def set_versions_root(self, path: Path) -> None:
        self.q.setValue("versions/root", str(path))
        self.q.sync()

    @property
    def session_dir(self) -> Path:
        """Masks and the queue file: what must survive an engine (or panel) restart."""
        return Path(self._get("session/dir") or state_dir() / "panel")
