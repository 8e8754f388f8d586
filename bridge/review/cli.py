"""`retakes review push|pull|serve`; the main CLI calls `register(subparsers)`.

Credentials come from the environment (RETAKES_FRAMEIO_CLIENT_ID / _CLIENT_SECRET), never
from argv, where other users could read them in the process list. Markers need Resolve: when
it cannot be reached, notes are kept in the review ledger and placed by the next pull or
serve that can reach it (placement is idempotent, so nothing doubles); either way they are
written as markers to the `.notes.otio` / `.notes.edl` files beside each version's media.

The clip is named by its key from `retakes versions` (a unique start of it is enough), in the
version store `--store` names or the command line's default store (bridge/versions.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .ledger import LEDGER_NAME

__all__ = ["LEDGER_NAME", "register"]


def register(subparsers: Any) -> None:
    review = subparsers.add_parser("review", help="hand versions off for review; bring notes back as markers")
    sub = review.add_subparsers(dest="review_command", required=True, metavar="{push,pull,serve}")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("clip", metavar="KEY", help="the clip's key from `retakes versions` (or a unique start of it)")
        p.add_argument("--store", type=Path, metavar="PATH",
                       help="the version store: its folder or its database (default: the one `retakes edit` "
                            "records into, see `retakes versions`)")

    def frameio(p: argparse.ArgumentParser) -> None:
        p.add_argument("--account", required=True, help="Frame.io account id")
        p.add_argument("--project", required=True, help="Frame.io project id")
        p.add_argument("--auth", choices=("s2s", "user"), default="s2s")
        p.add_argument(
            "--tokens", type=Path, help="token file (default ~/.config/retakes/frameio-tokens.json)"
        )
        p.add_argument("--base-url", default="https://api.frame.io", help=argparse.SUPPRESS)
        p.add_argument("--ims-url", default="https://ims-na1.adobelogin.com", help=argparse.SUPPRESS)

    push = sub.add_parser(
        "push", help="upload the clip's new versions to Frame.io (version stack, share link)"
    )
    common(push)
    frameio(push)
    push.add_argument("--folder", help="Frame.io folder id (default: the project's root folder)")
    push.set_defaults(run=_push)

    pull = sub.add_parser("pull", help="Frame.io comments -> markers, statuses -> version store")
    common(pull)
    frameio(pull)
    pull.set_defaults(run=_pull)

    serve = sub.add_parser("serve", help="serve the clip's versions on a token-protected local review page")
    common(serve)
    serve.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                       help="address to serve on (default 127.0.0.1: this computer only); 0.0.0.0 shares the "
                            "page with your local network, over plain HTTP")
    serve.add_argument("--host", dest="bind", help=argparse.SUPPRESS)  # the option's old name
    serve.add_argument("--port", type=int, default=8766)
    serve.set_defaults(run=_serve)


def _fail(message: str) -> None:
    raise SystemExit(f"retakes: error: {message}")


def _api(args: argparse.Namespace):
    from .auth import AuthConfig, FrameioAuth, TokenStore
    from .frameio_api import FrameioApi

    cid, secret = os.environ.get("RETAKES_FRAMEIO_CLIENT_ID"), os.environ.get("RETAKES_FRAMEIO_CLIENT_SECRET")
    if not cid or not secret:
        _fail("set RETAKES_FRAMEIO_CLIENT_ID and RETAKES_FRAMEIO_CLIENT_SECRET (Adobe Developer Console)")
    auth = FrameioAuth(AuthConfig(cid, secret, args.auth, ims_base_url=args.ims_url), TokenStore(args.tokens))
    return FrameioApi(auth, args.account, base_url=args.base_url)


def _clip(args: argparse.Namespace) -> tuple[Path, str]:
    """(the store's database, the clip key) named on the command line, or a one-line error."""
    from ..versions import VersionStore, store_file

    db = store_file(args.store)
    if not db.exists():
        _fail(f"--store: no version store at {db}" + ("" if args.store else " (`retakes edit` makes one)"))
    with VersionStore(db) as store:
        try:
            return db, store.clip_key(args.clip)
        except LookupError as exc:
            _fail(f"KEY: {exc}")
    raise AssertionError("unreachable")


def _stores(db: Path):
    from .ledger import ReviewLedger
    from .store_adapter import StoreAdapter

    return StoreAdapter(db), ReviewLedger(db.with_name(LEDGER_NAME))


def _timeline() -> Any | None:
    """The open Resolve timeline, or None (notes then wait in the ledger).

    Through the in-app agent when it runs, so the free edition gets markers too; Studio's
    external scripting otherwise (`connect_resolve`)."""
    try:
        from retakes.bridge.agent.client import connect_resolve
        from retakes.bridge.resolve.api import current_timeline

        return current_timeline(connect_resolve())[1]
    except Exception as exc:  # no Resolve, free edition, nothing open: all mean "no markers now"
        print(
            f"Resolve not reachable ({exc}): notes are saved, written as markers to the .notes.otio and "
            ".notes.edl files beside each version, and placed in Resolve by the next pull that reaches it",
            file=sys.stderr,
        )
        return None


def _push(args: argparse.Namespace) -> int:
    from .handoff import Pusher

    db, key = _clip(args)
    store, ledger = _stores(db)
    pusher = Pusher(_api(args), store, ledger, project_id=args.project, folder_id=args.folder)

    def progress(done: int, total: int) -> None:
        print(f"\r  uploading {100 * done // max(total, 1):3d}%", end="", file=sys.stderr, flush=True)

    pushed = pusher.push_clip(key, on_progress=progress)
    print(file=sys.stderr)
    for r in pushed:
        print(f"{r.version_id}\t{r.file_id}\t{r.share_url}")
    if not pushed:
        print("nothing new to push", file=sys.stderr)
    return 0


def _pull(args: argparse.Namespace) -> int:
    from .handoff import NotesPath, pull_clip
    from .sidecar import Sidecars

    db, key = _clip(args)
    store, ledger = _stores(db)
    results = pull_clip(_api(args), NotesPath(store, ledger, _timeline()), key)
    for label, r in results.items():
        print(f"{label}: {r.notes} notes, {len(r.markers.added)} new markers, status {r.status or '-'}")
        if isinstance(r.sidecars, Sidecars):
            print(f"  markers in {r.sidecars.otio} and {r.sidecars.edl}")
        elif r.sidecars:
            print(f"  {r.sidecars}", file=sys.stderr)
        for why in [*r.skipped, *r.markers.skipped.values()]:
            print(f"  skipped: {why}", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .send import LocalReview

    db, key = _clip(args)
    pages = LocalReview(db, bind=args.bind, port=args.port, timeline=_timeline())
    try:
        try:
            url = pages.open_clip(key)
        except OSError as exc:
            _fail(f"--bind/--port: cannot serve on {args.bind}:{args.port} ({exc.strerror or exc})")
        versions = pages.store.versions(key)
        for v in versions:
            if v.status == "draft":
                pages.store.set_status(v.id, "in review")
        name = versions[0].clip_name or key
        print(f"serving {len(versions)} version(s) of {name} (clip key {key})")
        print(f"review link (it holds the page's access token; shown only here, not saved): {url}", flush=True)
        if pages.shared:
            print(f"warning: --bind {args.bind} serves the page to your network over plain HTTP: anyone who can "
                  "see that traffic can read the link and its token; use it only on a network you trust",
                  file=sys.stderr, flush=True)
        else:
            print("only this computer can open it (`--bind 0.0.0.0` shares it on your network); Ctrl+C stops",
                  flush=True)
        pages.wait()
    except KeyboardInterrupt:
        pass
    finally:
        pages.stop()
    return 0
