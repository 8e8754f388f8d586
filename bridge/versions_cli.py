"""`retakes versions [list]` and `retakes versions show KEY`: the version store, read by a person.

The main CLI calls `register(subparsers)`. `add_version_options` and `record_version` are what
`retakes edit` calls so that each result it writes becomes a version (bridge/edit_version.py).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from .versions import (
    DB_NAME,
    Version,
    VersionStore,
    describe_edit,
    describe_params,
    describe_source,
    store_file,
)

STORE_HELP = f"the version store: its folder or its {DB_NAME} (default: {{}})"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("versions", help="list the clips and versions retakes made, with their keys",
                              description="List every clip with its versions (key, status, edit, media); "
                                          "`show KEY` gives one clip's versions with their full lineage.")
    p.add_argument("--store", type=Path, metavar="PATH", help=STORE_HELP.format(_default_text()))
    p.set_defaults(run=run_list)
    sub = p.add_subparsers(dest="versions_command", metavar="{list,show}")
    ls = sub.add_parser("list", help="every clip and its versions (the default)")
    ls.add_argument("--store", type=Path, metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    ls.set_defaults(run=run_list)
    show = sub.add_parser("show", help="one clip's versions with their lineage, status history and review links")
    show.add_argument("key", metavar="KEY", help="the clip key from `retakes versions` (or a unique start of it)")
    show.add_argument("--store", type=Path, metavar="PATH", default=argparse.SUPPRESS,
                      help=STORE_HELP.format(_default_text()))
    show.set_defaults(run=run_show)


def _default_text() -> str:
    return "$RETAKES_HOME/versions, else the panel's versions folder"


def add_version_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("version store")
    group.add_argument("--no-version", action="store_true",
                       help="do not record the result as a version (by default it is, so that "
                            "`retakes versions` lists it and `retakes review` can hand it off)")
    group.add_argument("--version-store", type=Path, metavar="PATH",
                       help=STORE_HELP.format(_default_text()) + "; it keeps a hard link to OUT, so the "
                            "version survives OUT being replaced")


def record_version(request: Any, job: Any, args: argparse.Namespace) -> None:
    """After a successful edit: records it, and says so on stderr (stdout keeps its `wrote` lines).

    A result that cannot be recorded is still a result: that is said in one line and the edit's
    exit status stands. Commands without the options (`track`) record nothing.
    """
    if getattr(args, "no_version", True):
        return
    from ..engine.errors import RetakesError
    from .edit_version import NotRecorded, record_edits

    db = store_file(args.version_store)
    try:
        with VersionStore(db) as store:
            recorded_all = record_edits(store, request, job)
    except (NotRecorded, RetakesError, OSError, sqlite3.Error, ValueError) as exc:
        print(f"retakes: the result was written but not recorded as a version: {exc}", file=sys.stderr)
        return
    for recorded in recorded_all:
        v = recorded.version
        print(f"retakes: recorded {v.label} of {v.clip_name} (clip key {v.source_key}) in {db}; "
              f"`retakes versions show {v.source_key}`, `retakes review serve {v.source_key}`", file=sys.stderr)
        if not recorded.linked:
            print(f"retakes: the version store is on another disk, so {v.label} is {v.output_path} itself: "
                  "replacing that file replaces the version's media", file=sys.stderr)


def _fail(message: str) -> None:
    raise SystemExit(f"retakes: error: {message}")


def _open(args: argparse.Namespace) -> VersionStore | None:
    db = store_file(args.store)
    if not db.exists():
        if args.store is not None and not db.parent.exists():
            _fail(f"--store: {args.store} does not exist")
        return None  # nothing recorded yet: say so without creating a store
    return VersionStore(db)


def run_list(args: argparse.Namespace) -> int:
    store = _open(args)
    db = store_file(args.store)
    if store is None:
        print(f"no versions yet in {db} (`retakes edit` records one for each result it writes)")
        return 0
    with store:
        versions = store.list_versions()
    if not versions:
        print(f"no versions yet in {db}")
        return 0
    print(f"versions in {db}")
    for key, clip in _by_clip(versions):
        first = clip[0]
        print(f"\n{first.clip_name}  frames {first.source_start}:{first.source_end}  clip key {key}")
        for v in clip:
            made = f"{v.op} {describe_params(v.params)}".strip()
            print(f"  {v.label}  {v.status:<9}  {made}  {v.output_path}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    store = _open(args)
    if store is None:
        _fail(f"KEY: no versions yet in {store_file(args.store)}")
    with store:
        try:
            key = store.clip_key(args.key)
        except LookupError as exc:
            _fail(f"KEY: {exc}")
        versions = store.list_versions(source_key=key)
        first = versions[0]
        print(f"{first.clip_name}  clip key {key}")
        print(f"source  {first.source_path}")
        for v in versions:
            parent = store.get(v.parent_id) if v.parent_id else None
            print(f"\n{v.label}  {v.status}  (version id {v.id})")
            print(f"  lineage  {describe_edit(v, parent)}")
            print(f"           {describe_source(v)}")
            starts = f", starts {v.output_start_timecode}" if v.output_start_timecode else ""
            print(f"  media    {v.output_path} ({v.output_frames} frames{starts})")
            made = datetime.fromtimestamp(v.created_at).strftime("%Y-%m-%d %H:%M:%S")
            print(f"  made     {made}" + (f", job {v.job_id}" if v.job_id else "")
                  + (f", engine {v.engine_version}" if v.engine_version else ""))
            history = " -> ".join(f"{s} ({note or actor})" for s, note, actor, _ in store.status_history(v.id))
            print(f"  status   {history}")
            for link in store.review_links(v.id):
                print(f"  review   {link.service} {link.url}" + (f" ({link.note})" if link.note else ""))
            sidecars = [p for p in _sidecars(Path(v.output_path)) if p.exists()]
            if sidecars:
                print(f"  notes    as markers in {', '.join(str(p) for p in sidecars)}")
    return 0


def _sidecars(media: Path) -> list[Path]:
    from .review.sidecar import sidecar_paths

    return list(sidecar_paths(media))


def _by_clip(versions: list[Version]) -> list[tuple[str, list[Version]]]:
    """Clips in the order their first version was made, each clip's versions in number order."""
    clips: dict[str, list[Version]] = {}
    for v in sorted(versions, key=lambda v: (v.created_at, v.id)):
        clips.setdefault(v.source_key, []).append(v)
    return [(key, sorted(vs, key=lambda v: v.number)) for key, vs in clips.items()]
