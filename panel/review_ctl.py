"""Send to review, and what the reviewers decide coming back into the versions table.

Sending runs off the GUI thread (a page starting, or an upload to Frame.io) and ends with the link
shown under the versions table, clickable and copyable. While a version of the open clip is in review,
its status is read back every few seconds (off the GUI thread too), so an approval or a request for
changes on the page shows in the table without the editor asking.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer

from retakes.bridge.versions import Version

from .errors import plain
from .host import Host
from .review_link import ReviewLink, Sent

POLL_MS = 2000  # the local page's decision is a row in SQLite: cheap to read often
FRAMEIO_POLL_MS = 30000  # Frame.io is asked far less often (its API is rate-limited)


class ReviewController:
    def __init__(self, host: Host, link: ReviewLink, versions: Callable[[], list[Version]]) -> None:
        """`versions()`: the versions the table shows now (the versions controller's list)."""
        self.host = host
        self.link = link
        self._versions = versions
        self._polling = False  # a poll is on its way: never two at once
        self.timer = QTimer(host.window)
        self.timer.setInterval(FRAMEIO_POLL_MS if link.frameio else POLL_MS)
        self.timer.timeout.connect(self.poll)
        host.window.versions.review_requested.connect(self.send)
        host.window.versions.versions_shown.connect(self.watch)

    def send(self, version_id: int) -> None:
        h = self.host
        version = next((v for v in self._versions() if v.id == version_id), None)
        if version is None:
            return
        h.status(f"Sending {version.label} to {self.link.service}…")
        h.window.versions.show_sending(version_id)

        def done(sent: Sent) -> None:
            where = "Frame.io" if sent.service == "frameio" else "the review page"
            h.status(f"{version.label} is in review on {where}: {sent.url}")
            h.window.versions.set_link(version_id, sent.url)
            h.refresh_versions(select=version_id)
            self.watch()

        def failed(exc: BaseException) -> None:
            h.window.versions.show_sending(0)
            h.error(plain(exc, doing=f"send {version.label} to review"))
        h.tasks.run(lambda: self.link.send(version_id), done, failed)

    def watch(self) -> None:
        """Polls while a version of the open clip is in review; stops when none is."""
        if any(v.status == "in review" for v in self._versions()):
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()

    def poll(self) -> None:
        h = self.host
        shown = {v.id: v for v in self._versions() if v.status == "in review"}
        if not shown or self._polling:
            self.watch()
            return
        self._polling = True
        session = h.session

        def done(statuses: dict[int, str]) -> None:
            self._polling = False
            if h.session is not session:
                return
            changed = {i: s for i, s in statuses.items() if i in shown and s != shown[i].status}
            if changed:
                words = "; ".join(f"{shown[i].label} {STATUS_WORDS.get(s, s)}" for i, s in changed.items())
                h.status(f"From review: {words}")
                h.refresh_versions(select=next(iter(changed)))

        def failed(exc: BaseException) -> None:
            self._polling = False
            self.timer.stop()  # said once, not every few seconds; the next send starts it again
            h.error(plain(exc, doing="read the review status"))
        h.tasks.run(lambda: self.link.poll(list(shown)), done, failed)

    def close(self) -> None:
        self.timer.stop()
        self.link.close()


STATUS_WORDS = {"approved": "approved", "rejected": "needs changes", "in review": "in review", "draft": "draft"}
