"""End to end on the Resolve double: agent -> bridge -> engine -> version placed, recorded, exported.

    python -m retakes.bridge.demo [--out DIR] [--engine TARGET]

Builds a 25 fps timeline starting at 01:00:00:00 in the Resolve double, with a synthetic clip
cut in with a left offset; runs the in-app agent on it (loopback, token file); reads the
selected clip through the agent; has the engine relight its exact source range twice; records
v001 and v002 in the version store; places both on new tracks; and exports the round trip as
OTIO and FCP7 XML. Everything goes through the same code paths a live Resolve uses, except that
the `resolve` object is the double.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from fractions import Fraction
from pathlib import Path

from retakes.engine.timecode import FrameRate, timecode_to_frames

from .agent.client import AgentClient
from .agent.retakes_agent import Agent, write_agent_file
from .edit_request import edit_request
from .resolve.double import MediaInfo, ResolveDouble
from .resolve.read import current_clip
from .timeline.formats import write_timeline
from .timeline.otio_model import source_timeline
from .versions import NewVersion, VersionStore
from .workflow import media_of, place_recorded

RATE = FrameRate(Fraction(25))
LOOKS = ({"look": "golden-hour"}, {"look": "day-to-night"})


def build_scene(workdir: Path) -> tuple[ResolveDouble, Path]:
    from retakes.engine.media.probe import probe
    from retakes.engine.media.synthetic import write_index_clip

    media = write_index_clip(
        workdir / "A001_C002.mov", frames=60, rate=RATE, start_timecode="10:00:00:00", audio=False
    )
    info = probe(media)
    resolve = ResolveDouble()
    resolve.media_probe = _probe_media
    timeline = resolve.new_timeline("demo", RATE, "01:00:00:00")
    item = resolve.import_clip(str(media), MediaInfo(info.rate, info.frame_count, info.start_timecode))
    start = timecode_to_frames("01:00:00:00", RATE)
    clip = timeline.add_clip(item, track=1, record_start=start + 50, duration=24, source_start=12)
    timeline.selected = [clip]
    return resolve, media


def _probe_media(path: str) -> MediaInfo | None:
    from retakes.engine.media.probe import probe

    try:
        info = probe(path)
    except Exception:  # Resolve leaves unreadable files out of an import without a word
        return None
    return MediaInfo(info.rate, info.frame_count, info.start_timecode)


def run(workdir: Path, *, engine_target: str | None = None, say=print) -> dict:
    from retakes.engine.client import connect
    from retakes.v1 import engine_pb2

    resolve, _media = build_scene(workdir)
    agent = Agent(resolve, call_timeout=20)
    agent_path = workdir / "state" / "agent.json"
    write_agent_file(agent_path, {"port": agent.serve(), "token": agent.token})
    try:
        with AgentClient.from_file(agent_path) as client:
            remote = client.resolve()  # from here on, only the agent protocol touches "Resolve"
            clip = current_clip(remote, handles=4)
            say(
                f"clip {clip.name}: source {clip.source_range} (+{clip.handles} handles) at "
                f"{clip.timeline.timecode_of(clip.placement.record.start)} on V{clip.placement.track}"
            )
            placed = []
            with VersionStore.open(workdir / "retakes") as store, connect(engine_target) as engine:
                for params in LOOKS:
                    output = store.output_path_for(clip)
                    output.parent.mkdir(parents=True, exist_ok=True)
                    request = edit_request(clip, op="relight", output_path=str(output), params=params)
                    job = engine.run_edit(request)
                    if job.state != engine_pb2.JOB_STATE_SUCCEEDED:
                        raise RuntimeError(f"the engine failed: {job.error.message}")
                    version = store.record(
                        NewVersion(
                            clip=clip, op="relight", output_path=str(output), params=params, job_id=job.id
                        )
                    )
                    where = place_recorded(remote, store, clip, version)
                    placed.append((version, where))
                    say(
                        f"{version.label}: {output.name}, {job.result.frames_written} frames, placed on "
                        f"V{where.track} at {clip.timeline.timecode_of(where.record.start)}"
                    )
                versions = [media_of(v) for v, _ in placed]
                exported = source_timeline(clip, versions, versions[-1].label)
                for name in ("demo.otio", "demo.xml"):
                    say(write_timeline(exported, workdir / name))
                return {
                    "clip": clip,
                    "versions": [v for v, _ in placed],
                    "placed": [p for _, p in placed],
                    "store": store.path,
                    "otio": workdir / "demo.otio",
                    "xml": workdir / "demo.xml",
                    "resolve": resolve,
                }
    finally:
        agent.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retakes.bridge.demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, help="keep the results here (default: a temporary folder)")
    parser.add_argument("--engine", help="engine address; default: a running one, else a private one")
    args = parser.parse_args(argv)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        run(args.out.absolute(), engine_target=args.engine)
        print(f"results in {args.out}")
        return 0
    with tempfile.TemporaryDirectory(
        prefix="retakes-bridge-demo-", dir="/tmp" if os.name != "nt" else None
    ) as tmp:
        run(Path(tmp), engine_target=args.engine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
