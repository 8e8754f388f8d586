"""What a controller may ask of the studio that assembles it: one small typed Protocol.

Controllers take a `Host`, never the `Studio` class and never each other. What one needs from another
(the preview shown on a frame, the versions list read again, the mask label) is asked of the host,
which `studio.py` answers by handing the call to the controller that owns it. So a controller reads,
and can be built, on its own, the imports run one way (studio -> controllers -> host), and `studio.py`
only assembles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from .engine_link import EngineLink
    from .frames import FrameStore
    from .history import History
    from .model.session import ClipSession
    from .settings import PanelSettings
    from .tasks import Tasks
    from .window import StudioWindow


class Host(Protocol):
    # the shared pieces
    window: StudioWindow
    settings: PanelSettings
    tasks: Tasks
    frames: FrameStore
    link: EngineLink
    history: History
    resolve: Any  # a Resolve handle (agent proxy, Studio scripting or the test double), or None
    session: ClipSession | None

    # messages
    def status(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...

    # the playhead and what the viewer shows (viewer_ctl)
    def timecode(self, frame: int | None = None) -> str: ...
    def seek(self, frame: int) -> None: ...
    def show_frame(self) -> None: ...
    def show_keyframes(self) -> None: ...
    def show_view_state(self) -> None: ...

    # masks (masks_ctl)
    @property
    def tool(self) -> str: ...
    def show_mask_state(self) -> None: ...

    # engine work (jobs)
    def update_ready(self) -> None: ...
    def preview_for(self, frame: int) -> np.ndarray | None: ...
    def badges_for(self, frame: int) -> list[str]: ...
    def clear_preview(self) -> None: ...

    # versions (versions_ctl)
    def refresh_versions(self, select: int = 0) -> None: ...
    def show_compare(self) -> None: ...
    def close_compare(self) -> None: ...
