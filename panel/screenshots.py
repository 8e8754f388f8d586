"""Renders the main states of the Edit Studio to docs/screenshots/ (offscreen, real engine).

    QT_QPA_PLATFORM=offscreen python -m retakes.panel.screenshots [OUT_DIR]

Uses the same pieces as the tests: DemoScene media, an engine in a thread on a temp socket,
the Resolve double. Each state is reached through the panel's own commands, not faked.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from retakes.bridge.resolve.double import MediaInfo as DoubleMedia  # noqa: E402
from retakes.bridge.resolve.double import ResolveDouble  # noqa: E402
from retakes.engine.config import EngineConfig  # noqa: E402
from retakes.engine.media.synthetic import DemoScene  # noqa: E402
from retakes.engine.service.server import engine_in_thread  # noqa: E402
from retakes.engine.timecode import FrameRate  # noqa: E402

from . import theme  # noqa: E402
from .frames import edited_source  # noqa: E402
from .model.keyframes import export_frame  # noqa: E402
from .settings import PanelSettings  # noqa: E402
from .studio import Studio  # noqa: E402

SIZE = (1440, 860)


def wait(app: QApplication, condition, timeout: float = 30.0, studio: Studio | None = None) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        app.processEvents()
        if time.monotonic() > deadline:
            said = studio.window.banner.text.text() if studio and studio.window.banner.isVisible() else ""
            raise TimeoutError("the panel did not reach the state in time" + (f" (it says: {said})" if said else ""))
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()


def shoot(app: QApplication, studio: Studio, out: Path, name: str) -> None:
    for _ in range(10):
        app.processEvents()
    studio.window.grab().save(str(out / f"{name}.png"))
    print("wrote", out / f"{name}.png")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    theme.apply(app)
    with tempfile.TemporaryDirectory(prefix="rtk-shot-", dir="/tmp") as tmp:
        tmp = Path(tmp)
        scene = DemoScene(960, 540, 48, 24)
        media = scene.write(tmp / "A014_C003_ball.mov", start_timecode="14:21:07:00")
        rate = FrameRate(Fraction(24))
        resolve = ResolveDouble()
        timeline = resolve.new_timeline("Reel 2 — assembly", rate, "01:00:00:00")
        mpi = resolve.import_clip(str(media), DoubleMedia(rate, 48, "14:21:07:00"))
        item = timeline.add_clip(mpi, track=1, record_start=86400 + 240, duration=40, source_start=4)
        timeline.selected = [item]
        q = QSettings(str(tmp / "panel.ini"), QSettings.IniFormat)
        q.setValue("versions/root", str(tmp / "versions"))
        q.setValue("session/dir", str(tmp / "session"))
        config = EngineConfig(state_dir=tmp / "state", socket_path=tmp / "e.sock", chunk_frames=4)
        with engine_in_thread(config):
            studio = Studio(PanelSettings(q), resolve=resolve)
            w = studio.window
            w.resize(*SIZE)
            w.show()
            studio.connect_engine(str(config.socket_path))
            wait(app, lambda: studio.link.online)
            shoot(app, studio, out, "01-empty")

            studio.load_from_resolve()
            wait(app, lambda: studio.session is not None and w.viewer.has_frame)
            studio.seek(14)
            wait(app, lambda: studio.frames.cached(str(studio.session.info.path), 14) is not None)
            studio.show_frame()
            cx, cy = scene._center(14)
            r = scene._radius
            mask = studio.session.mask_here(create=True)
            mask.checkpoint()
            mask.lasso([(cx + r * 1.08 * math.cos(a / 24 * math.tau),
                         cy + r * 1.08 * math.sin(a / 24 * math.tau)) for a in range(24)])
            mask.brush = 48
            mask.dab([(cx, cy)])
            studio.masks.changed()
            studio.session.mark_keyframe(30)
            studio.show_keyframes()
            w.edit.prompt.setText("change the ball to teal")
            w.edit.ops.set_value("color", "#14b8a6")
            shoot(app, studio, out, "02-clip-mask")

            studio.jobs.track()
            wait(app, lambda: bool(studio.session.tracked_dir), 120, studio=studio)  # a busy machine tracks slowly
            studio.jobs.preview()
            wait(app, lambda: studio.jobs.preview_for(studio.session.frame) is not None)
            studio.show_frame()
            shoot(app, studio, out, "03-preview")

            studio.jobs.generate()
            wait(app, lambda: any(e.kind == "edit" and e.frames_done > 4 for e in studio.jobs.queue.entries))
            studio.jobs.generate()
            w.tabs.setCurrentWidget(w.queue)
            wait(app, lambda: sum(e.kind == "edit" for e in studio.jobs.queue.entries) == 2)
            shoot(app, studio, out, "04-generating")

            wait(app, lambda: len(studio.versions.list) == 2, timeout=120)
            studio.review.send(studio.versions.list[0].id)
            wait(app, lambda: w.versions.link.isVisible())
            wait(app, lambda: studio.versions.list[0].status == "in review")
            studio.versions.compare(0, studio.versions.list[-1].id)
            wait(app, lambda: studio.session.compare is not None)
            studio.session.compare.wipe = scene._center(20)[0] / scene.width  # split the ball
            studio.versions.set_mode("wipe")
            studio.seek(20)
            c = studio.session.compare
            wait(app, lambda: all(studio.frames.cached(*studio.versions._source(i, 20)) is not None
                                  for i in (c.left, c.right)))
            studio.versions.show_compare()
            shoot(app, studio, out, "05-compare-wipe")

            studio.versions.set_mode("difference")
            wait(app, lambda: w.viewer.badges and w.viewer.badges[0].startswith("DIFF"))
            w.tabs.setCurrentWidget(w.versions)
            shoot(app, studio, out, "06-versions")

            studio.versions.close_compare()
            studio.seek(24)
            exported = export_frame(studio.session.info, 24, tmp / "frame24.png")  # the panel's worker does this
            bgr = cv2.imread(str(exported), cv2.IMREAD_UNCHANGED)
            ball = scene.mask(24) > 127
            bgr[ball] = bgr[ball][:, ::-1]  # what an editor might do in an image editor: the ball painted blue
            edited = tmp / "frame24_blue.png"
            cv2.imwrite(str(edited), bgr)
            studio.edited.load_edited(str(edited))
            wait(app, lambda: 24 in studio.session.edited)
            studio.show_view("edited")
            wait(app, lambda: studio.frames.cached(edited_source(str(edited.resolve())), 24) is not None)
            studio.show_frame()
            shoot(app, studio, out, "07-edited-frame")

            # zoom: 200% about the ball, the mask's edge and the brush at full size
            studio.show_view("original")
            studio.seek(14)
            wait(app, lambda: studio.frames.cached(str(studio.session.info.path), 14) is not None)
            studio.show_frame()
            w.viewer.set_zoom(2.0, w.viewer.to_widget(*scene._center(14)))
            w.viewer._hover = w.viewer.to_widget(cx + r * 1.3, cy - r * 0.2)  # where the brush would paint next
            shoot(app, studio, out, "08-zoom-200")

            # In / Out: frames 10..33 of the clip, with the audio's waveform under the scrubber
            w.viewer.set_zoom(None)
            studio.set_marks(10, 34)
            studio.seek(18)
            wait(app, lambda: w.waveform.peaks is not None)
            shoot(app, studio, out, "09-in-out-waveform")

            # export presets: the editor's list, with one of their own added
            dialog = studio.export.dialog()
            dialog.list.setCurrentRow(3)
            dialog._add()
            dialog.name.setText("Client review H.264")
            dialog._edited()
            dialog.show()
            for _ in range(10):
                app.processEvents()
            studio.export.apply(dialog.presets)
            w.edit.preset.setCurrentIndex(w.edit.preset.findText("Client review H.264"))
            picture = w.grab()
            from PySide6.QtGui import QColor, QPainter

            painter = QPainter(picture)
            shot = dialog.grab()
            x, y = (picture.width() - shot.width()) // 2, (picture.height() - shot.height()) // 3
            painter.drawPixmap(x, y, shot)
            painter.setPen(QColor(theme.ACCENT))  # a window of its own on the desktop: its edge drawn here
            painter.drawRect(x - 1, y - 1, shot.width() + 1, shot.height() + 1)
            painter.end()
            picture.save(str(out / "10-export-presets.png"))
            print("wrote", out / "10-export-presets.png")
            dialog.close()
            studio.close()
            w.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
