"""A test double of DaVinci Resolve's scripting object model, quirks included.

It implements the objects retakes touches (ProjectManager, Project, MediaPool, Folder,
MediaPoolItem, Timeline, TimelineItem, takes, markers) with Blackmagic's method names and the
documented behaviour that bit other integrations (research/nle.md sections 1.5 and 5):

- record frames are absolute: a timeline starting at 01:00:00:00 at 25 fps starts at 90000;
- `AppendToTimeline`'s `endFrame` and `GetEnd()` are exclusive; `startFrame` is a 0-based
  source frame;
- failures are `None`/`False`/`[]`, never exceptions; unknown method names read as `None`
  (`getattr` on a live handle), so features must be probed with `dir()`;
- an append onto occupied record space is silently dropped: the call still returns an item,
  whose `GetUniqueId()` is empty and which is not on the track;
- `ImportMedia` lands in the current folder; `SetClipColor` knows 16 names and "succeeds"
  without effect on generators and titles;
- `Timeline.GetSelectedClips` exists only from 21.0.4 on.

Media is not decoded: tests register what a file is (`register_media`, or a `media_probe`).
`faults` switches on misbehaviour to test read-back ("shift_record": appends land one frame late; "drop_take":
AddTake returns True and does nothing). Lower-case methods are test helpers, not Resolve API.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from retakes.engine.timecode import FrameRate, Timebase, timecode_to_frames

CLIP_COLORS = {"Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple",
               "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate"}
_ids = itertools.count(1)


def _new_id() -> str:
    return f"dbl-{next(_ids):06d}"


class _Api:
    """Unknown attributes read as None, like a live Resolve handle."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None


@dataclass
class MediaInfo:
    rate: FrameRate
    frames: int
    start_tc: str = "00:00:00:00"
    kind: str = "Video"  # "Video", "Compound", "Generator", "Fusion Title", "Multicam", "Timeline"


class MediaPoolItem(_Api):
    def __init__(self, path: str, name: str, info: MediaInfo) -> None:
        self._id, self._path, self._name, self.info = _new_id(), path, name, info
        self._markers: dict[float, dict] = {}

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id

    def GetClipProperty(self, name: str | None = None) -> Any:
        props = {
            "File Path": self._path, "Clip Name": self._name, "FPS": float(self.info.rate),
            "Frames": str(self.info.frames), "Start TC": self.info.start_tc, "Type": self.info.kind,
        }
        return props if name is None else props.get(name, "")


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


class TimelineItem(_Api):
    def __init__(self, timeline: Timeline, mpi: MediaPoolItem | None, name: str, track: int,
                 record_start: int, duration: int, source_start: int, speed: float = 1.0) -> None:
        self._timeline, self._mpi, self._name = timeline, mpi, name
        self._id = _new_id()
        self.track, self.record_start, self.duration = track, record_start, duration
        self.source_start, self.speed = source_start, speed  # speed < 0: reversed
        self.takes: list[dict] = []
        self.selected_take = 0
        self.markers: dict[float, dict] = {}
        self.color = ""

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

    # source side: offsets are in the record (warped) domain, source frames are not
    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        return round(self.source_start / abs(self.speed))

    def GetRightOffset(self, subframe_precision: bool = False) -> int:
        total = self._mpi.info.frames if self._mpi else self.duration
        return round((total - self.source_start) / abs(self.speed)) - self.duration

    def GetSourceStartFrame(self) -> int:
        span = round(self.duration * abs(self.speed))
        return self.source_start + span if self.speed < 0 else self.source_start

    def GetSourceEndFrame(self) -> int:
        span = round(self.duration * abs(self.speed))
        return self.source_start if self.speed < 0 else self.source_start + span

    # takes (1-based); the first AddTake turns the clip itself into take 1
    def AddTake(self, item: MediaPoolItem, start_frame: int | None = None,
                end_frame: int | None = None) -> bool:
        if not isinstance(item, MediaPoolItem):
            return False
        if "drop_take" in self._timeline.faults:
            return True
        if not self.takes:
            self.takes.append({"mediaPoolItem": self._mpi, "startFrame": self.source_start,
                               "endFrame": self.source_start + self.duration})
            self.selected_take = 1
        start = 0 if start_frame is None else start_frame
        end = item.info.frames if end_frame is None else end_frame
        self.takes.append({"mediaPoolItem": item, "startFrame": start, "endFrame": end})
        return True

    def GetTakesCount(self) -> int:
        return len(self.takes)

    def GetSelectedTakeIndex(self) -> int:
        return self.selected_take

    def GetTakeByIndex(self, index: int) -> dict | None:
        return dict(self.takes[index - 1]) if 1 <= index <= len(self.takes) else None

    def SelectTakeByIndex(self, index: int) -> bool:
        if not 1 <= index <= len(self.takes):
            return False
        self.selected_take = index
        return True

    def DeleteTakeByIndex(self, index: int) -> bool:
        if not 1 <= index <= len(self.takes):
            return False
        del self.takes[index - 1]
        self.selected_take = min(self.selected_take, len(self.takes))
        if len(self.takes) == 1:  # a selector with one take is the plain clip again
            self.takes.clear()
            self.selected_take = 0
        return True

    # markers: frame offsets from the item's start; one marker per frame
    def AddMarker(self, frame: int, color: str, name: str, note: str, duration: int,
                  custom: str = "") -> bool:
        if float(frame) in self.markers or not 0 <= frame < self.duration:
            return False
        self.markers[float(frame)] = {"color": color, "duration": float(duration), "note": note,
                                      "name": name, "customData": custom}
        return True

    def GetMarkers(self) -> dict:
        return {k: dict(v) for k, v in self.markers.items()}

    def DeleteMarkerAtFrame(self, frame: int) -> bool:
        return self.markers.pop(float(frame), None) is not None

    def SetClipColor(self, color: str) -> bool:
        if color not in CLIP_COLORS:
            return False
        if self._mpi is not None and self._mpi.info.kind not in ("Generator", "Fusion Title"):
            self.color = color
        return True

    def GetClipColor(self) -> str:
        return self.color


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

    def SetCurrentTimecode(self, timecode: str) -> bool:
        self.playhead = timecode_to_frames(timecode, self.rate)
        return True

    def GetCurrentVideoItem(self) -> TimelineItem | None:
        for track in reversed(self.tracks):  # the top-most clip is the one you see
            for item in track:
                if item.record_start <= self.playhead < item.GetEnd():
                    return item
        return None

    def GetTrackCount(self, track_type: str) -> int:
        return len(self.tracks) if track_type == "video" else 0

    def GetItemListInTrack(self, track_type: str, index: int) -> list[TimelineItem] | None:
        if track_type != "video" or not 1 <= index <= len(self.tracks):
            return None
        return sorted(self.tracks[index - 1], key=lambda i: i.record_start)

    def AddTrack(self, track_type: str, sub_type: Any = None) -> bool:
        if track_type != "video":
            return False
        self.tracks.append([])
        return True

    def DeleteTrack(self, track_type: str, index: int) -> bool:
        if track_type != "video" or not 1 <= index <= len(self.tracks) or len(self.tracks) == 1:
            return False
        del self.tracks[index - 1]
        for number, track in enumerate(self.tracks, 1):
            for item in track:
                item.track = number
        return True

    def SetTrackName(self, track_type: str, index: int, name: str) -> bool:
        return track_type == "video" and 1 <= index <= len(self.tracks)

    def DeleteClips(self, items: list[TimelineItem], ripple: bool = False) -> bool:
        ids = {i.GetUniqueId() for i in items}
        before = sum(len(t) for t in self.tracks)
        self.tracks = [[i for i in t if i.GetUniqueId() not in ids] for t in self.tracks]
        return sum(len(t) for t in self.tracks) < before

    # ---- helpers for building test timelines (not Resolve API)
    def add_clip(self, mpi: MediaPoolItem | None, *, track: int, record_start: int, duration: int,
                 source_start: int = 0, speed: float = 1.0, name: str | None = None) -> TimelineItem:
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

    def SetCurrentFolder(self, folder: Folder) -> bool:
        if not isinstance(folder, Folder):
            return False
        self.current = folder
        return True

    def AddSubFolder(self, parent: Folder, name: str) -> Folder | None:
        if not isinstance(parent, Folder):
            return None
        folder = Folder(name)
        parent.subfolders.append(folder)
        return folder

    def ImportMedia(self, paths: list[str]) -> list[MediaPoolItem]:
        items = []
        for path in paths:
            info = self._resolve.media.get(path)
            if info is None and self._resolve.media_probe is not None:
                info = self._resolve.media_probe(path)
            if info is None:  # unreadable media: left out without a word
                continue
            item = MediaPoolItem(path, path.replace("\\", "/").rsplit("/", 1)[-1], info)
            self.current.clips.append(item)
            items.append(item)
        return items

    def AppendToTimeline(self, clip_infos: list[dict]) -> list[TimelineItem] | None:
        timeline = self._project.GetCurrentTimeline()
        if timeline is None:
            return None
        added = []
        for info in clip_infos:
            mpi = info.get("mediaPoolItem")
            if not isinstance(mpi, MediaPoolItem):
                return None
            start, end = int(info.get("startFrame", 0)), int(info.get("endFrame", mpi.info.frames))
            track = int(info.get("trackIndex", 1))
            record = int(info.get("recordFrame", timeline.GetEndFrame()))
            if "shift_record" in timeline.faults:
                record += 1
            if not 1 <= track <= len(timeline.tracks) or end <= start:
                return None
            item = TimelineItem(timeline, mpi, mpi.GetName(), track, record, end - start, start)
            if timeline.occupied(track, record, record + end - start):
                item._id = ""  # dropped: the earlier item wins and this one is not on the track
            else:
                timeline.tracks[track - 1].append(item)
            added.append(item)
        return added

    def DeleteClips(self, items: list[MediaPoolItem]) -> bool:
        ids = {i.GetUniqueId() for i in items}
        found = False
        for folder in _walk(self.root):
            keep = [c for c in folder.clips if c.GetUniqueId() not in ids]
            found |= len(keep) != len(folder.clips)
            folder.clips = keep
        return found

    def DeleteFolders(self, folders: list[Folder]) -> bool:
        ids = {f.GetUniqueId() for f in folders}
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
            return (folder.GetName(), tuple(c.GetUniqueId() for c in folder.clips),
                    tuple(bins(f) for f in folder.subfolders))
        return {"tracks": tracks, "pool": bins(self.project.media_pool.root),
                "current_folder": self.project.media_pool.current.GetUniqueId()}
