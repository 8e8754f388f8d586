"""`retakes review push|pull|serve`; the main CLI calls `register(subparsers)`.

Credentials come from the environment (RETAKES_FRAMEIO_CLIENT_ID / _CLIENT_SECRET), never
from argv, where other users could read them in the process list. Markers need Resolve: when
it cannot be reached, notes are kept in the review ledger and placed by the next pull or
serve that can reach it (placement is idempotent, so nothing doubles).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import Any

LEDGER_NAME = "retakes-review.sqlite"


def register(subparsers: Any) -> None:
    review = subparsers.add_parser("review", help="hand versions off for review; bring notes back as markers")
    sub = review.add_subparsers(dest="review_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("clip", help="the clip's version series key (see `retakes versions`)")
        p.add_argument("--store", required=True, type=Path, help="the version store database")

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
    serve.add_argument("--host", default="0.0.0.0", help="bind address (default: all, for the local network)")
    serve.add_argument("--port", type=int, default=8766)
    serve.set_defaults(run=_serve)


def _api(args: argparse.Namespace):
    from .auth import AuthConfig, FrameioAuth, TokenStore
    from .frameio_api import FrameioApi

    cid, secret = os.environ.get("RETAKES_FRAMEIO_CLIENT_ID"), os.environ.get("RETAKES_FRAMEIO_CLIENT_SECRET")
    if not cid or not secret:
        raise SystemExit(
            "set RETAKES_FRAMEIO_CLIENT_ID and RETAKES_FRAMEIO_CLIENT_SECRET (Adobe Developer Console)"
        )
    auth = FrameioAuth(AuthConfig(cid, secret, args.auth, ims_base_url=args.ims_url), TokenStore(args.tokens))
    return FrameioApi(auth, args.account, base_url=args.base_url)


def _stores(args: argparse.Namespace):
    from .ledger import ReviewLedger
    from .store_adapter import StoreAdapter

    if not args.store.exists():
        raise SystemExit(f"store: {args.store} does not exist")
    return StoreAdapter(args.store), ReviewLedger(args.store.with_name(LEDGER_NAME))


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
            f"note: Resolve not reachable ({exc}); notes are saved and become markers on the next pull",
            file=sys.stderr,
        )
        return None


def _push(args: argparse.Namespace) -> int:
    from .handoff import Pusher

    store, ledger = _stores(args)
    pusher = Pusher(_api(args), store, ledger, project_id=args.project, folder_id=args.folder)

    def progress(done: int, total: int) -> None:
        print(f"\r  uploading {100 * done // max(total, 1):3d}%", end="", file=sys.stderr, flush=True)

    pushed = pusher.push_clip(args.clip, on_progress=progress)
    print(file=sys.stderr)
    for r in pushed:
        print(f"{r.version_id}\t{r.file_id}\t{r.share_url}")
    if not pushed:
        print("nothing new to push", file=sys.stderr)
    return 0


def _pull(args: argparse.Namespace) -> int:
    from .handoff import NotesPath, pull_clip

    store, ledger = _stores(args)
    results = pull_clip(_api(args), NotesPath(store, ledger, _timeline()), args.clip)
    for label, r in results.items():
        print(f"{label}: {r.notes} notes, {len(r.markers.added)} new markers, status {r.status or '-'}")
        for why in [*r.skipped, *r.markers.skipped.values()]:
            print(f"  skipped: {why}", file=sys.stderr)
    return 0


def _lan_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outgoing interface
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def _serve(args: argparse.Namespace) -> int:
    from .frames import FrameCache
    from .handoff import NotesPath
    from .server import ReviewApp, make_server, new_token, review_url

    store, ledger = _stores(args)
    if not store.versions(args.clip):
        raise SystemExit(f"clip: no versions for {args.clip!r} in {args.store}")
    path = NotesPath(store, ledger, _timeline())
    app = ReviewApp(args.clip, path, FrameCache(args.store.parent / ".review-frames"), new_token())
    server = make_server(app, args.host, args.port)
    host = _lan_address() if args.host in ("0.0.0.0", "") else args.host
    url = review_url(host, server.server_address[1], app.token)
    for v in store.versions(args.clip):
        store.set_review_link(v.id, url, service="local")
    print(f"review page: {url}\n(anyone with this link on your network can review; Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
