"""A test double of DaVinci Resolve's scripting object model, quirks included.

It implements the objects retakes touches (ProjectManager, Project, MediaPool, Folder,
MediaPoolItem, Timeline, TimelineItem, takes, markers) with Blackmagic's method names, and
answers the way Resolve is documented to answer. The documents it follows, by the short names
used below (all quoted in /work/shared/research/nle.md, sections 1.5 and 5):

- README: Blackmagic's `Developer/Scripting/README.txt`, "Last Updated: 24 Jul 2026" (21.0.4),
  stored as samuelgursky/davinci-resolve-mcp `docs/reference/resolve_scripting_api.txt`;
- LIMITS: samuelgursky/davinci-resolve-mcp `docs/reference/api-limitations.md`, behaviour
  measured on live Resolve 19.1.3.7 - 21.0.4.5, entry titles quoted.

What it does, and on whose word:

- record frames are absolute: a timeline starting at 01:00:00:00 at 25 fps starts at 90000
  (nle.md 5 "Frame conventions"; LIMITS via davinci-resolve-mcp issue #164);
- `AppendToTimeline`'s `startFrame`/`endFrame` are 0-based SOURCE frames at the media's own rate,
  `endFrame` exclusive (LIMITS "AppendToTimeline endFrame (exclusive bound)", issue #82); floats
  are accepted (README, "Change at 19.0.2"). When media and timeline rates differ, the record
  length is floor(source frames x timeline rate / media rate) (LIMITS "MediaPool.AppendToTimeline
  with mixed-fps sources (duration floor)"). An `endFrame` past the media's last frame, or an
  empty range, is refused (retakes issue 21 item 3; Resolve cannot show frames a file lacks);
- `GetSourceEndFrame()` is exclusive when the rates agree and inclusive (one less) when they
  differ; `GetLeftOffset()` of a video item counts source frames; of a retimed item, the warped
  (record-side) domain (LIMITS "TimelineItem.GetSourceStartFrame on an AUDIO item" and "Clip speed
  / retime ratio and speed ramps");
- failures are `None`/`False`/`[]`, never exceptions; a name a handle lacks reads as `None`
  (`getattr`), while `dir()` lists only the class's own methods, so a version-gated method such as
  `Timeline.GetSelectedClips` is callable without being listed (LIMITS "hasattr() / getattr() on
  Resolve API objects", and its note that dir() omits documented methods on Fusion Tools);
- an append onto occupied record space is silently dropped: the call still returns an item,
  whose `GetUniqueId()` is empty and which is not on the track (LIMITS "MediaPool.AppendToTimeline
  (null-id timeline items)");
- `ImportMedia` lands in the current folder (nle.md 5); `SetClipColor` accepts exactly the 16
  clip colours and "succeeds" without effect on generators and titles (LIMITS "SetClipColor
  (undocumented value space; marker constants are a decoy)", "TimelineItem.SetClipColor on
  generator/title items");
- `AddMarker` accepts the 16 marker colours only (README "Analyze Slate Settings":
  resolve.MARKER_BLUE ... MARKER_CREAM; LIMITS: "Cyan, Red, Fuchsia, Rose, Lavender, Sky, Mint,
  Lemon, Sand, Cocoa and Cream are all marker-only"), one marker per frame, on a frame inside the
  object: a TimelineItem's frames count from its first visible frame, a MediaPoolItem's from the
  media's first frame (README GetMarkers: "clip offset" / "timeline offset");
- takes (README "AddTake(mediaPoolItem, startFrame, endFrame)"): extents in the take media's
  source frames, `endFrame` checked against that media; the first AddTake makes the clip itself
  take 1; the selected take's media is what `GetMediaPoolItem()` returns. The item keeps its
  place and length. Where the README is silent (what the source getters report while another
  take is selected) the double keeps the original's values, as the independent stand-in of
  retakes issue 13 did; retakes reads a take through `GetTakeByIndex` for that reason;
- `Timeline.GetSelectedClips` exists only from 21.0.4 on (README 21.0.4; nle.md 1.6).

Media is not decoded: tests register what a file is (`register_media`, or a `media_probe`).
`faults` switches on misbehaviour to test read-back ("shift_record": appends land one frame late;
"drop_take": AddTake returns True and does nothing). Lower-case methods are test helpers, not
Resolve API.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from retakes.engine.timecode import FrameRate, Timebase, timecode_to_frames

CLIP_COLORS = frozenset({"Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue",
                         "Purple", "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate"})
MARKER_COLORS = frozenset({"Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose",
                           "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream"})
_ids = itertools.count(1)


def _new_id() -> str:
    return f"dbl-{next(_ids):06d}"


def _number(value: Any) -> Fraction | None:
    """A frame argument as Resolve takes it (int or float), or None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Fraction(value)


def _plain(value: Fraction) -> int | float:
    return int(value) if value == int(value) else float(value)


class _Api:
    """Unknown attributes read as None, like a live Resolve handle; dir() lists class methods only."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    def __dir__(self) -> list[str]:
        return sorted(n for n in dir(type(self)) if n[:1].isupper())


@dataclass
class MediaInfo:
    rate: FrameRate
    frames: int
    start_tc: str = "00:00:00:00"
    kind: str = "Video"  # "Video", "Compound", "Generator", "Fusion Title", "Multicam", "Timeline"


class _Markers:
    """One marker per frame, on a frame inside `0 <= frame < length`, in a marker colour."""

    def __init__(self) -> None:
        self.markers: dict[float, dict] = {}

    def _length(self) -> int:
        raise NotImplementedError

    def AddMarker(self, frame: Any, color: Any, name: Any, note: Any, duration: Any,
                  custom: Any = "") -> bool:
        at, length = _number(frame), _number(duration)
        if at is None or length is None or at != int(at) or length < 1 or color not in MARKER_COLORS:
            return False
        if float(at) in self.markers or not 0 <= at < self._length():
            return False
        self.markers[float(at)] = {"color": color, "duration": float(length), "note": str(note),
                                   "name": str(name), "customData": str(custom)}
        return True

    def GetMarkers(self) -> dict:
        return {k: dict(v) for k, v in self.markers.items()}

    def DeleteMarkerAtFrame(self, frame: Any) -> bool:
        at = _number(frame)
        return at is not None and self.markers.pop(float(at), None) is not None


class MediaPoolItem(_Markers, _Api):
    def __init__(self, path: str, name: str, info: MediaInfo) -> None:
        super().__init__()
        self._id, self._path, self._name, self.info = _new_id(), path, name, info
        self.color = ""

    def _length(self) -> int:
        return self.info.frames

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetClipProperty(self, name: str | None = None) -> Any:
        # Values are strings except FPS, a float (nle.md 1.5: 'Frames': '29', 'FPS': 25.0).
        props = {
            "File Path": self._path, "Clip Name": self._name, "FPS": float(self.info.rate),
            "Frames": str(self.info.frames), "Start TC": self.info.start_tc, "Type": self.info.kind,
        }
        return props if name is None else props.get(name, "")

    def SetClipColor(self, color: Any) -> bool:
        if color not in CLIP_COLORS:
            return False
        self.color = color
        return True

    def GetClipColor(self) -> str:
        return self.color

    def ClearClipColor(self) -> bool:
        self.color = ""
        return True


class Folder(_Api):
    def __init__(self, name: str) -> None:
        self._id, self._name = _new_id(), name
        self.subfolders: list[Folder] = []
        self.clips: list[MediaPoolItem] = []

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetSubFolderList(self) -> list[Folder]:
        return list(self.subfolders)

    def GetClipList(self) -> list[MediaPoolItem]:
        return list(self.clips)


class TimelineItem(_Markers, _Api):
    """A clip on a video track. `extent` is the source it plays, in media frames (a fraction at
    mixed rates or speeds); `duration` its record length in timeline frames."""

    def __init__(self, timeline: Timeline, mpi: MediaPoolItem | None, name: str, track: int,
                 record_start: int, duration: int, source_start: Fraction | int, speed: float = 1.0,
                 extent: Fraction | None = None) -> None:
        super().__init__()
        self._timeline, self._mpi, self._name = timeline, mpi, name
        self._id = _new_id()
        self.track, self.record_start, self.duration = track, record_start, duration
        self.source_start, self.speed = Fraction(source_start), speed  # speed < 0: reversed
        self.extent = Fraction(extent) if extent is not None else (
            duration * Fraction(abs(speed)) * self._rate_ratio())
        self.takes: list[dict] = []
        self.selected_take = 0
        self.color = ""

    def _rate_ratio(self) -> Fraction:
        """Media frames per timeline frame at normal speed."""
        if self._mpi is None:
            return Fraction(1)
        return self._mpi.info.rate.value / self._timeline.rate.value

    def _length(self) -> int:
        return self.duration

    # identity and place
    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetMediaPoolItem(self) -> MediaPoolItem | None:
        if self.takes and self.selected_take:
            return self.takes[self.selected_take - 1]["mediaPoolItem"]
        return self._mpi

    def GetTrackTypeAndIndex(self) -> list:
        return ["video", self.track]

    def GetStart(self, subframe_precision: bool = False) -> int:
        return self.record_start

    def GetEnd(self, subframe_precision: bool = False) -> int:
        return self.record_start + self.duration

    def GetDuration(self, subframe_precision: bool = False) -> int:
        return self.duration

    # source side
    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        return round(self.source_start / Fraction(abs(self.speed)))  # warped domain when retimed

    def GetRightOffset(self, subframe_precision: bool = False) -> int:
        total = self._mpi.info.frames if self._mpi else self.duration
        return round((total - self.source_start - self.extent) / Fraction(abs(self.speed)))

    def _mixed(self) -> bool:
        return self._rate_ratio() != 1

    def GetSourceStartFrame(self) -> int:
        if self.speed < 0:
            return self.GetSourceEndFrame() + math.floor(self.extent)
        return math.floor(self.source_start)

    def GetSourceEndFrame(self) -> int:
        if self.speed < 0:
            return math.floor(self.source_start)
        end = math.ceil(self.source_start + self.extent)
        return end - 1 if self._mixed() else end  # inclusive at mixed rates

    # takes (1-based); the first AddTake turns the clip itself into take 1
    def AddTake(self, item: Any, start_frame: Any = None, end_frame: Any = None) -> bool:
        if not isinstance(item, MediaPoolItem):
            return False
        start = Fraction(0) if start_frame is None else _number(start_frame)
        end = Fraction(item.info.frames) if end_frame is None else _number(end_frame)
        if start is None or end is None or not 0 <= start < end <= item.info.frames:
            return False
        if "drop_take" in self._timeline.faults:
            return True
        if not self.takes:
            self.takes.append({"mediaPoolItem": self._mpi, "startFrame": _plain(self.source_start),
                               "endFrame": _plain(self.source_start + self.extent)})
            self.selected_take = 1
        self.takes.append({"mediaPoolItem": item, "startFrame": _plain(start), "endFrame": _plain(end)})
        return True

    def GetTakesCount(self) -> int:
        return len(self.takes)

    def GetSelectedTakeIndex(self) -> int:
        return self.selected_take

    def GetTakeByIndex(self, index: Any) -> dict | None:
        return dict(self.takes[index - 1]) if isinstance(index, int) and 1 <= index <= len(self.takes) else None

    def SelectTakeByIndex(self, index: Any) -> bool:
        if not isinstance(index, int) or not 1 <= index <= len(self.takes):
            return False
        self.selected_take = index
        return True

    def DeleteTakeByIndex(self, index: Any) -> bool:
        if not isinstance(index, int) or not 1 <= index <= len(self.takes):
            return False
        del self.takes[index - 1]
        self.selected_take = min(self.selected_take, len(self.takes))
        if len(self.takes) == 1:  # a selector with one take is the plain clip again
            self.takes.clear()
            self.selected_take = 0
        return True

    def SetClipColor(self, color: Any) -> bool:
        if color not in CLIP_COLORS:
            return False
        if self._mpi is not None and self._mpi.info.kind not in ("Generator", "Fusion Title"):
            self.color = color
        return True

    def GetClipColor(self) -> str:
        return self.color

    def ClearClipColor(self) -> bool:
        self.color = ""
        return True


class Timeline(_Api):
    def __init__(self, name: str, rate: FrameRate, start_tc: str, drop_frame: bool, version: tuple) -> None:
        self._id, self._name, self.rate, self.drop_frame = _new_id(), name, rate, drop_frame
        self.start_tc = start_tc
        self.start_frame = timecode_to_frames(start_tc, rate)
        self.tracks: list[list[TimelineItem]] = [[]]  # video tracks, index 0 is V1
        self.playhead = self.start_frame
        self.selected: list[TimelineItem] = []
        self.faults: set[str] = set()
        if tuple(version[:3]) >= (21, 0, 4):
            self.GetSelectedClips = lambda: list(self.selected)  # noqa: E731 - exists only on 21.0.4+

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetStartFrame(self) -> int:
        return self.start_frame

    def GetEndFrame(self) -> int:
        return max([self.start_frame] + [i.GetEnd() for t in self.tracks for i in t])

    def GetStartTimecode(self) -> str:
        return self.start_tc

    def GetSetting(self, name: str) -> str:
        decimal = {24000: "23.976", 30000: "29.97", 60000: "59.94"}  # how Resolve spells NTSC rates
        rate = decimal.get(self.rate.value.numerator, str(self.rate))
        drop = "1" if self.drop_frame else "0"
        return {"timelineFrameRate": rate, "timelineDropFrameTimecode": drop}.get(name, "")

    def GetCurrentTimecode(self) -> str:
        return Timebase(self.rate, 0, self.drop_frame).timecode_of(self.playhead)

    def SetCurrentTimecode(self, timecode: Any) -> bool:
        try:
            self.playhead = timecode_to_frames(str(timecode), self.rate)
        except ValueError:
            return False
        return True

    def GetCurrentVideoItem(self) -> TimelineItem | None:
        for track in reversed(self.tracks):  # the top-most clip is the one you see
            for item in track:
                if item.record_start <= self.playhead < item.GetEnd():
                    return item
        return None

    def GetTrackCount(self, track_type: str) -> int:
        return len(self.tracks) if track_type == "video" else 0

    def GetItemListInTrack(self, track_type: str, index: Any) -> list[TimelineItem] | None:
        if track_type != "video" or not isinstance(index, int) or not 1 <= index <= len(self.tracks):
            return None
        return sorted(self.tracks[index - 1], key=lambda i: i.record_start)

    def AddTrack(self, track_type: str, sub_type: Any = None) -> bool:
        if track_type != "video":
            return False
        self.tracks.append([])
        return True

    def DeleteTrack(self, track_type: str, index: Any) -> bool:
        if track_type != "video" or not isinstance(index, int) or not 1 <= index <= len(self.tracks) \
                or len(self.tracks) == 1:
            return False
        del self.tracks[index - 1]
        for number, track in enumerate(self.tracks, 1):
            for item in track:
                item.track = number
        return True

    def SetTrackName(self, track_type: str, index: Any, name: str) -> bool:
        return track_type == "video" and isinstance(index, int) and 1 <= index <= len(self.tracks)

    def DeleteClips(self, items: Any, ripple: bool = False) -> bool:
        if not isinstance(items, list) or not all(isinstance(i, TimelineItem) for i in items):
            return False
        ids = {i.GetUniqueId() for i in items}
        before = sum(len(t) for t in self.tracks)
        self.tracks = [[i for i in t if i.GetUniqueId() not in ids] for t in self.tracks]
        return sum(len(t) for t in self.tracks) < before

    # ---- helpers for building test timelines (not Resolve API)
    def add_clip(self, mpi: MediaPoolItem | None, *, track: int, record_start: int, duration: int,
                 source_start: int = 0, speed: float = 1.0, name: str | None = None) -> TimelineItem:
        """A clip as an editor cuts it in: `duration` record frames, playing the media in real time."""
        while len(self.tracks) < track:
            self.tracks.append([])
        label = name or (mpi.GetName() if mpi else "Solid Color")
        item = TimelineItem(self, mpi, label, track, record_start, duration, source_start, speed)
        self.tracks[track - 1].append(item)
        return item

    def occupied(self, track: int, start: int, end: int) -> bool:
        return any(i.record_start < end and start < i.GetEnd() for i in self.tracks[track - 1])


class MediaPool(_Api):
    def __init__(self, resolve: ResolveDouble, project: Project) -> None:
        self._resolve, self._project = resolve, project
        self.root = Folder("Master")
        self.current = self.root

    def GetRootFolder(self) -> Folder:
        return self.root

    def GetCurrentFolder(self) -> Folder:
        return self.current

    def SetCurrentFolder(self, folder: Any) -> bool:
        if not isinstance(folder, Folder):
            return False
        self.current = folder
        return True

    def AddSubFolder(self, parent: Any, name: Any) -> Folder | None:
        if not isinstance(parent, Folder) or not isinstance(name, str):
            return None
        folder = Folder(name)
        parent.subfolders.append(folder)
        return folder

    def ImportMedia(self, paths: Any) -> list[MediaPoolItem]:
        if not isinstance(paths, list):
            return []
        items = []
        for path in paths:
            info = self._resolve.media.get(str(path))
            if info is None and self._resolve.media_probe is not None:
                info = self._resolve.media_probe(str(path))
            if info is None:  # unreadable media: left out without a word
                continue
            item = MediaPoolItem(str(path), str(path).replace("\\", "/").rsplit("/", 1)[-1], info)
            self.current.clips.append(item)
            items.append(item)
        return items

    def AppendToTimeline(self, clip_infos: Any) -> list[TimelineItem]:
        timeline = self._project.GetCurrentTimeline()
        if timeline is None or not isinstance(clip_infos, list):
            return []
        added = []
        for info in clip_infos:
            item = self._append(timeline, info) if isinstance(info, dict) else None
            if item is None:
                return []  # a clipInfo Resolve cannot place: nothing comes back
            added.append(item)
        return added

    def _append(self, timeline: Timeline, info: dict) -> TimelineItem | None:
        mpi = info.get("mediaPoolItem")
        if not isinstance(mpi, MediaPoolItem):
            return None
        start = _number(info.get("startFrame", 0))
        end = _number(info.get("endFrame", mpi.info.frames))
        track, record = info.get("trackIndex", 1), _number(info.get("recordFrame", timeline.GetEndFrame()))
        if start is None or end is None or record is None or not isinstance(track, int):
            return None
        if not 0 <= start < end <= mpi.info.frames or not 1 <= track <= len(timeline.tracks):
            return None
        # Source frames become record frames at the timeline's rate, floored.
        duration = math.floor((end - start) * timeline.rate.value / mpi.info.rate.value)
        if duration < 1:
            return None
        record_start = math.floor(record) + (1 if "shift_record" in timeline.faults else 0)
        item = TimelineItem(timeline, mpi, mpi.GetName(), track, record_start, duration, start,
                            extent=end - start)
        if timeline.occupied(track, record_start, record_start + duration):
            item._id = ""  # dropped: the earlier item wins and this one is not on the track
        else:
            timeline.tracks[track - 1].append(item)
        return item

    def DeleteClips(self, items: Any) -> bool:
        if not isinstance(items, list):
            return False
        ids = {i.GetUniqueId() for i in items if isinstance(i, MediaPoolItem)}
        found = False
        for folder in _walk(self.root):
            keep = [c for c in folder.clips if c.GetUniqueId() not in ids]
            found |= len(keep) != len(folder.clips)
            folder.clips = keep
        return found

    def DeleteFolders(self, folders: Any) -> bool:
        if not isinstance(folders, list):
            return False
        ids = {f.GetUniqueId() for f in folders if isinstance(f, Folder)}
        found = False
        for folder in _walk(self.root):
            keep = [f for f in folder.subfolders if f.GetUniqueId() not in ids]
            found |= len(keep) != len(folder.subfolders)
            folder.subfolders = keep
        if self.current.GetUniqueId() in ids:
            self.current = self.root
        return found


def _walk(folder: Folder):
    yield folder
    for sub in folder.subfolders:
        yield from _walk(sub)


class Project(_Api):
    def __init__(self, resolve: ResolveDouble, name: str) -> None:
        self._name = name
        self.media_pool = MediaPool(resolve, self)
        self.timeline: Timeline | None = None

    def GetName(self) -> str:
        return self._name

    def GetMediaPool(self) -> MediaPool:
        return self.media_pool

    def GetCurrentTimeline(self) -> Timeline | None:
        return self.timeline


class ProjectManager(_Api):
    def __init__(self, project: Project | None) -> None:
        self.project = project

    def GetCurrentProject(self) -> Project | None:
        return self.project


class ResolveDouble(_Api):
    """The `resolve` object. Build a scene with `new_timeline`, `register_media`, `import_clip`."""

    def __init__(self, product: str = "DaVinci Resolve Studio", version: tuple = (21, 0, 4, 7, "")) -> None:
        self.product, self.version = product, version
        self.media: dict[str, MediaInfo] = {}
        # What ImportMedia knows of files nobody registered (the demo probes real files).
        self.media_probe: Callable[[str], MediaInfo | None] | None = None
        self.project = Project(self, "retakes-test")
        self.manager = ProjectManager(self.project)

    def GetProductName(self) -> str:
        return self.product

    def GetVersion(self) -> list:
        return list(self.version)

    def GetVersionString(self) -> str:
        return ".".join(str(v) for v in self.version[:4])

    def GetProjectManager(self) -> ProjectManager:
        return self.manager

    # ---- helpers (not Resolve API)
    def new_timeline(self, name: str, rate: FrameRate, start_tc: str = "01:00:00:00",
                     drop_frame: bool = False) -> Timeline:
        self.project.timeline = Timeline(name, rate, start_tc, drop_frame, self.version)
        return self.project.timeline

    def register_media(self, path: str, info: MediaInfo) -> None:
        self.media[str(path)] = info

    def import_clip(self, path: str, info: MediaInfo) -> MediaPoolItem:
        self.register_media(path, info)
        pool = self.project.media_pool
        return pool.ImportMedia([str(path)])[0]

    def snapshot(self) -> dict:
        """Everything an editor could see change: tracks, items, takes, markers, colours, bins."""
        tl = self.project.timeline
        tracks = [] if tl is None else [
            [(i.GetUniqueId(), i.GetName(), i.record_start, i.duration, i.source_start, i.color,
              len(i.takes), i.selected_take, sorted(i.markers)) for i in t] for t in tl.tracks]

        def bins(folder: Folder) -> tuple:
            return (folder.GetName(),
                    tuple((c.GetUniqueId(), c.color, tuple(sorted(c.markers))) for c in folder.clips),
                    tuple(bins(f) for f in folder.subfolders))
        return {"tracks": tracks, "pool": bins(self.project.media_pool.root),
                "current_folder": self.project.media_pool.current.GetUniqueId()}
