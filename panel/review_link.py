"""The panel's one door to the review hand-off (`retakes.bridge.review`).

"Send to review" starts the clip's local review page (served on loopback, token in the link) or, when
Frame.io is configured, pushes the version there; either way it returns the link. `poll` reads the
versions' statuses back, after pulling Frame.io's where a version went there, so an approval or a
request for changes made on the page reaches the panel.

Everything here blocks (a server starting, an upload, SQLite) and runs on the panel's worker threads.
The review room is writing a "Send to review" API of its own; when it lands, only this module changes.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from retakes.bridge.versions import DB_NAME, VersionStore

LEDGER_NAME = "retakes-review.sqlite"  # beside the version store, as `retakes review` keeps it
FRAMES_DIR = ".review-frames"


@dataclass(frozen=True)
class Sent:
    version_id: int
    url: str
    service: str  # "local" (the review page) or "frameio"


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


class _Page:
    """One clip's review page, served until the panel closes."""

    def __init__(self, db: Path, clip_key: str, host: str) -> None:
        from retakes.bridge.review.frames import FrameCache
        from retakes.bridge.review.handoff import NotesPath
        from retakes.bridge.review.ledger import ReviewLedger
        from retakes.bridge.review.server import ReviewApp, make_server, new_token, review_url
        from retakes.bridge.review.store_adapter import StoreAdapter

        self.ledger = ReviewLedger(db.with_name(LEDGER_NAME))
        # No Resolve timeline here: notes wait in the review ledger until `retakes review pull` or a page
        # started with Resolve reachable puts them on the clip as markers.
        path = NotesPath(StoreAdapter(db), self.ledger, None)
        self.app = ReviewApp(clip_key, path, FrameCache(db.parent / FRAMES_DIR), new_token())
        self.server = make_server(self.app, host, 0)
        self.url = review_url(host, self.server.server_address[1], self.app.token)
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"review-page-{clip_key[:8]}",
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.ledger.close()


class ReviewLink:
    """Starts review pages and Frame.io pushes; thread-safe (the panel's workers call it in parallel)."""

    def __init__(self, versions_root: Path, frameio: FrameioConfig | None = None, host: str = "127.0.0.1") -> None:
        self.db = Path(versions_root) / DB_NAME
        self.frameio = frameio
        self.host = host  # loopback: the link works on this machine; a LAN page is `retakes review serve`
        self._pages: dict[str, _Page] = {}
        self._lock = threading.Lock()

    @property
    def service(self) -> str:
        return "Frame.io" if self.frameio else "the local review page"

    def send(self, version_id: int) -> Sent:
        """Puts the version up for review and returns its link (worker thread)."""
        with VersionStore(self.db) as store:
            version = store.get(version_id)
        if self.frameio is not None:
            return self._push(version_id)
        with self._lock:
            page = self._pages.get(version.source_key)
            if page is None:
                page = self._pages[version.source_key] = _Page(self.db, version.source_key, self.host)
        with VersionStore(self.db) as store:
            store.add_review_link(version_id, page.url, service="local", note="sent from the panel")
            if store.get(version_id).status == "draft":
                store.set_status(version_id, "in review", note="sent from the panel", actor="panel")
        return Sent(version_id, page.url, "local")

    def _api(self) -> Any:
        from retakes.bridge.review.auth import AuthConfig, FrameioAuth, TokenStore
        from retakes.bridge.review.frameio_api import FrameioApi

        c = self.frameio
        auth = FrameioAuth(AuthConfig(c.client_id, c.client_secret, "s2s", ims_base_url=c.ims_url),
                           TokenStore(c.tokens))
        return FrameioApi(auth, c.account, base_url=c.base_url)

    def _push(self, version_id: int) -> Sent:
        from retakes.bridge.review.handoff import Pusher
        from retakes.bridge.review.ledger import ReviewLedger
        from retakes.bridge.review.store_adapter import StoreAdapter

        adapter = StoreAdapter(self.db)
        ledger = ReviewLedger(self.db.with_name(LEDGER_NAME))
        try:
            remote = ledger.remote(str(version_id))
            if remote is None:
                version = adapter.version(str(version_id))
                remote = Pusher(self._api(), adapter, ledger, project_id=self.frameio.project).push(version)
            elif adapter.version(str(version_id)).status == "draft":
                adapter.set_status(str(version_id), "in review")
        finally:
            ledger.close()
        return Sent(version_id, remote.share_url, "frameio")

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
            pages, self._pages = list(self._pages.values()), {}
        for page in pages:
            page.close()
