"""The panel's one door to the review hand-off (`retakes.bridge.review`).

"Send to review" starts the clip's local review page (served on loopback, token in the link) or, when
Frame.io is configured, pushes the version there; either way it returns the link. `poll` reads the
versions' statuses back, after pulling Frame.io's where a version went there, so an approval or a
request for changes made on the page reaches the panel.

Everything here blocks (a server starting, an upload, SQLite) and runs on the panel's worker threads.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from retakes.bridge.review.send import LEDGER_NAME, LocalReview, send_to_frameio
from retakes.bridge.review.send import ReviewLink as Sent
from retakes.bridge.versions import DB_NAME, VersionStore


@dataclass(frozen=True)
class FrameioConfig:
    """Frame.io, when the editor set it up: account and project in the panel's settings, the app's
    credentials in the environment (as `retakes review push` takes them; never stored by the panel)."""

    account: str
    project: str
    client_id: str
    client_secret: str
    base_url: str = "https://api.frame.io"
    ims_url: str = "https://ims-na1.adobelogin.com"
    tokens: Path | None = None

    @classmethod
    def from_settings(cls, q: QSettings) -> FrameioConfig | None:
        account = str(q.value("review/frameio_account", "") or "")
        project = str(q.value("review/frameio_project", "") or "")
        cid, secret = os.environ.get("RETAKES_FRAMEIO_CLIENT_ID"), os.environ.get("RETAKES_FRAMEIO_CLIENT_SECRET")
        if not (account and project and cid and secret):
            return None
        tokens = q.value("review/frameio_tokens", "")
        return cls(account, project, cid, secret, str(q.value("review/frameio_base_url", "") or cls.base_url),
                   str(q.value("review/frameio_ims_url", "") or cls.ims_url), Path(tokens) if tokens else None)


class ReviewLink:
    """Starts review pages and Frame.io pushes through the review room's own "Send to review"
    (`retakes.bridge.review.send`); thread-safe (the panel's workers call it in parallel)."""

    def __init__(self, versions_root: Path, frameio: FrameioConfig | None = None, host: str = "127.0.0.1") -> None:
        self.db = Path(versions_root) / DB_NAME
        self.frameio = frameio
        self.host = host  # loopback: the link works on this machine; a LAN page is `retakes review serve`
        self._local: LocalReview | None = None
        self._lock = threading.Lock()

    @property
    def service(self) -> str:
        return "Frame.io" if self.frameio else "the local review page"

    def send(self, version_id: int) -> Sent:
        """Puts the version up for review and returns its link (worker thread)."""
        if self.frameio is not None:
            return send_to_frameio(self.db, version_id, self._api(), self.frameio.project)
        with self._lock:
            if self._local is None:
                # No Resolve timeline here: notes wait in the review ledger until `retakes review pull`
                # or a page started with Resolve reachable puts them on the clip as markers.
                self._local = LocalReview(self.db, bind=self.host)
            local = self._local
        return local.send(version_id)

    def _api(self) -> Any:
        from retakes.bridge.review.auth import AuthConfig, FrameioAuth, TokenStore
        from retakes.bridge.review.frameio_api import FrameioApi

        c = self.frameio
        auth = FrameioAuth(AuthConfig(c.client_id, c.client_secret, "s2s", ims_base_url=c.ims_url),
                           TokenStore(c.tokens))
        return FrameioApi(auth, c.account, base_url=c.base_url)

    def poll(self, version_ids: list[int]) -> dict[int, str]:
        """Each version's status now, Frame.io's pulled first for versions that went there (worker thread)."""
        if self.frameio is not None and version_ids:
            self._pull(version_ids)
        with VersionStore(self.db) as store:
            return {v: store.get(v).status for v in version_ids}

    def _pull(self, version_ids: list[int]) -> None:
        from retakes.bridge.review.handoff import NotesPath, pull_version
        from retakes.bridge.review.ledger import ReviewLedger
        from retakes.bridge.review.store_adapter import StoreAdapter

        adapter = StoreAdapter(self.db)
        ledger = ReviewLedger(self.db.with_name(LEDGER_NAME))
        try:
            pushed = [v for v in version_ids if ledger.remote(str(v)) is not None]
            if pushed:
                api, path = self._api(), NotesPath(adapter, ledger, None)
                for v in pushed:
                    pull_version(api, path, adapter.version(str(v)))
        finally:
            ledger.close()

    def close(self) -> None:
        with self._lock:
            local, self._local = self._local, None
        if local is not None:
            local.stop()
