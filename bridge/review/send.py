""""Send to review": what the panel's button and `retakes review serve|push` do, in one place.

`LocalReview` serves local review pages from this process, one per clip (on its own port), on
background threads: `send(version_id)` starts the clip's page, or reuses it, marks a draft
"in review", and returns the link to hand to reviewers. A decision made on the page goes into
the version store at once and is passed to `on_status(version_id: int, status: str)`, called on
the server's thread (a Qt caller hands it to its own thread, e.g. with a queued signal).

`send_to_frameio` uploads the version to Frame.io (version stack, lineage, share link) and
returns the share link.

The link of a local page holds its access token. It is returned to the caller and printed
once by the command line, never written down: the version store records where the page was
and the token's sha256 (`ReviewLink.stored`), so anyone reading the store cannot review.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..versions import store_file
from .frames import FrameCache
from .handoff import NotesPath, Pusher
from .ledger import LEDGER_NAME, ReviewLedger
from .server import (
    ReviewApp,
    StatusFn,
    is_loopback,
    lan_address,
    link_without_token,
    make_server,
    new_token,
    review_url,
    token_digest,
)
from .store_adapter import StoreAdapter

FRAMES_DIR = ".review-frames"


@dataclass(frozen=True)
class ReviewLink:
    version_id: int
    url: str  # what reviewers open; a local page's link holds its token
    service: str  # "local" | "frameio"
    clip_key: str
    clip_name: str


class LocalReview:
    """Local review pages for the versions in one store. `stop()` ends them all."""

    def __init__(self, store: str | Path | None = None, *, bind: str = "127.0.0.1", port: int = 0,
                 timeline: Any | None = None, on_status: Callable[[int, str], None] | None = None) -> None:
        self.db = store_file(store)
        if not self.db.exists():
            raise FileNotFoundError(f"no version store at {self.db}")
        self.bind, self.port = bind, port
        self.store = StoreAdapter(self.db)
        self.ledger = ReviewLedger(self.db.with_name(LEDGER_NAME))
        self.path = NotesPath(self.store, self.ledger, timeline)
        self.frames = FrameCache(self.db.parent / FRAMES_DIR)
        # The store's version ids are integers; the review app's are strings (any VersionStoreLike).
        self.on_status: StatusFn | None = (lambda vid, status: on_status(int(vid), status)) if on_status else None
        # clip key -> (server, url, stored url, note, thread)
        self._pages: dict[str, tuple[Any, str, str, str, threading.Thread]] = {}
        self._lock = threading.Lock()

    @property
    def shared(self) -> bool:
        """True when the pages are reachable from other machines (plain HTTP on the network)."""
        return not is_loopback(self.bind)

    def send(self, version_id: int) -> ReviewLink:
        """Puts the version on its clip's page (started if need be); a draft becomes "in review"."""
        version = self.store.version(str(version_id))
        if version is None:
            raise LookupError(f"no version with id {version_id} in {self.db}")
        url, stored, note = self._page(version.clip_id)
        self.store.set_review_link(version.id, stored, service="local", note=note)
        if version.status == "draft":
            self.store.set_status(version.id, "in review")
        return ReviewLink(int(version.id), url, "local", version.clip_id, version.clip_name)

    def open_clip(self, clip_key: str) -> str:
        """The link to the clip's page, starting the page on first use; every version of the clip
        is on it, so each records the link (without its token, a secret kept out of the store)."""
        url, stored, note = self._page(clip_key)
        for v in self.store.versions(clip_key):
            self.store.set_review_link(v.id, stored, service="local", note=note)
        return url

    def _page(self, clip_key: str) -> tuple[str, str, str]:
        """(the link with its token, the link to store, its note): the clip's page, started on first use."""
        with self._lock:
            if clip_key in self._pages:
                return self._pages[clip_key][1:4]
            versions = self.store.versions(clip_key)
            if not versions:
                raise LookupError(f"no versions of clip {clip_key} in {self.db}")
            token = new_token()
            app = ReviewApp(clip_key, self.path, self.frames, token_digest(token), on_status=self.on_status)
            server = make_server(app, self.bind, self.port)
            port = server.server_address[1]
            host = lan_address() if self.bind in ("0.0.0.0", "") else self.bind
            url = review_url(host, port, token)
            thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True,
                                      name=f"review page {clip_key[:8]}")
            thread.start()
            page = (url, link_without_token(host, port), f"local review page; token sha256 {token_digest(token)}")
            self._pages[clip_key] = (server, *page, thread)
            return page

    def wait(self) -> None:
        """Blocks until every page has stopped (`retakes review serve`; Ctrl+C ends the wait)."""
        for *_, thread in list(self._pages.values()):
            while thread.is_alive():
                thread.join(0.5)

    def stop(self) -> None:
        with self._lock:
            pages, self._pages = list(self._pages.values()), {}
        for server, *_, thread in pages:
            server.shutdown()
            server.server_close()
            thread.join(5)
        self.ledger.close()

    def __enter__(self) -> LocalReview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def send_to_frameio(store: str | Path | None, version_id: int, api: Any, project_id: str, *,
                    folder_id: str | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> ReviewLink:
    """Uploads the version (and any earlier version of its clip not yet there, oldest first, so the
    version stack keeps its order) and returns the version's share link; a draft becomes "in review"."""
    db = store_file(store)
    adapter = StoreAdapter(db)
    version = adapter.version(str(version_id))
    if version is None:
        raise LookupError(f"no version with id {version_id} in {db}")
    ledger = ReviewLedger(db.with_name(LEDGER_NAME))
    try:
        pusher = Pusher(api, adapter, ledger, project_id=project_id, folder_id=folder_id)
        for earlier in adapter.versions(version.clip_id):
            if earlier.number > version.number:
                break
            if ledger.remote(earlier.id) is None:
                pusher.push(earlier, on_progress)
        remote = ledger.remote(version.id)
    finally:
        ledger.close()
    return ReviewLink(int(version.id), remote.share_url or "", "frameio", version.clip_id, version.clip_name)
