"""Panel fixtures: offscreen Qt, small real media, a real engine on a temp socket, the Resolve double."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from retakes.bridge.resolve.double import MediaInfo as DoubleMedia  # noqa: E402
from retakes.bridge.resolve.double import ResolveDouble  # noqa: E402
from retakes.engine.media.synthetic import DemoScene  # noqa: E402
from retakes.panel import theme  # noqa: E402
from retakes.panel.settings import PanelSettings  # noqa: E402
from retakes.panel.studio import Studio  # noqa: E402
from tests.support.panel import FRAMES, Engine, H, W  # noqa: E402


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    return DemoScene(W, H, FRAMES, 24).write(folder / "ball.mov", start_timecode="01:00:00:00")


@pytest.fixture
def engine(short_tmp) -> Iterator[Engine]:
    e = Engine(short_tmp)
    e.start()
    yield e
    e.stop()


@pytest.fixture
def settings(tmp_path) -> PanelSettings:
    q = QSettings(str(tmp_path / "panel.ini"), QSettings.IniFormat)
    q.setValue("versions/root", str(tmp_path / "versions"))
    q.setValue("session/dir", str(tmp_path / "session"))
    return PanelSettings(q)


@dataclass
class Scene:
    resolve: ResolveDouble
    item: object
    media: Path


@pytest.fixture
def resolve_scene(demo_media) -> Scene:
    from fractions import Fraction

    from retakes.engine.timecode import FrameRate

    rate = FrameRate(Fraction(24))
    resolve = ResolveDouble()
    timeline = resolve.new_timeline("edit", rate, "01:00:00:00")
    mpi = resolve.import_clip(str(demo_media), DoubleMedia(rate, FRAMES, "01:00:00:00"))
    start = timeline.GetStartFrame()
    timeline.add_clip(mpi, track=1, record_start=start, duration=48, name="lead-in")
    item = timeline.add_clip(mpi, track=1, record_start=start + 48, duration=FRAMES, source_start=0)
    timeline.selected = [item]
    return Scene(resolve, item, demo_media)


@pytest.fixture
def studio(qtbot, qapp, settings) -> Iterator[Studio]:
    theme.apply(qapp)
    s = Studio(settings)
    qtbot.addWidget(s.window)
    s.window.resize(1280, 780)
    s.window.show()
    yield s
    s.close()
