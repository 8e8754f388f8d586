"""`retakes models list|add|verify|remove|pull`: the model store, from the command line.

The store lives in `$RETAKES_HOME/models` (the engine's state folder), so a model added here is
the engine's. Only `pull` reaches the network, and only for the model named.
"""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from ..engine.config import default_state_dir
from ..engine.errors import InvalidArgument
from ..engine.models import ModelStore, inspect_folder
from ..engine.models.catalogue import CATALOGUE
from ..engine.models.memory import NotEnoughMemory, choose, format_bytes


def _store() -> ModelStore:
    return ModelStore(default_state_dir() / "models")


def backends_here(op: str) -> str:
    """The learned backends of `op` and their state in the store here, for a command's --help
    ("learned: ready (NAME)" or "learned: needs weights: retakes models pull NAME ...")."""
    from ..engine.models import backend_states, runtime

    try:
        return "; ".join(f"{s.op} {s.backend}: {s.message}" for s in backend_states(runtime()) if s.op == op)
    except (OSError, ValueError) as error:
        return f"the model store cannot be read ({error})"


def register(subparsers) -> None:
    p = subparsers.add_parser("models", help="the model store: weights for the learned backends (local only)",
                              description="retakes models list|add|verify|remove|pull")
    sub = p.add_subparsers(dest="models_command", required=True, metavar="{list,add,verify,remove,pull}")
    ls = sub.add_parser("list", help="registered models: family, tasks, size, licence, whether each fits the device")
    ls.add_argument("--device", default="auto", help="device to check the fit on: auto, cpu, cuda, cuda:N")
    ls.set_defaults(run=run_list)
    add = sub.add_parser("add", help="register a model folder (diffusers or transformers layout) where it lies")
    add.add_argument("name", metavar="NAME", help="the name to use it by (lowercase letters, digits, . _ -)")
    add.add_argument("path", metavar="PATH", help="the folder: model_index.json (diffusers) or config.json")
    add.add_argument("--licence", help="the weights' licence, when the folder's model card does not say")
    add.set_defaults(run=run_add)
    verify = sub.add_parser("verify", help="re-hash a model's files against the manifest written when it was added")
    verify.add_argument("name", metavar="NAME", nargs="?", help="default: every model")
    verify.set_defaults(run=run_verify)
    rm = sub.add_parser("remove", help="unregister a model (files of an added folder are kept; pulled ones deleted)")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(run=run_remove)
    pull = sub.add_parser("pull", help="download a catalogue model (the only command that uses the network)")
    pull.add_argument("name", metavar="NAME", nargs="?", help="a catalogue name; without one, the catalogue is shown")
    pull.add_argument("--accept-licence", metavar="ID",
                      help="accept a model's non-permissive licence, typed out as `pull` shows it")
    pull.add_argument("--token", help="hub token for gated repositories (default: $HF_TOKEN)")
    pull.add_argument("--revision", help="a branch, tag or commit of the repository")
    pull.set_defaults(run=run_pull)


class _Bar:
    """Hashing progress on stderr (bytes)."""

    def __init__(self, label: str) -> None:
        self._bar = tqdm(total=0, unit="B", unit_scale=True, desc=label, leave=False, disable=not sys.stderr.isatty())

    def __call__(self, what: str, done: int, total: int) -> None:
        if self._bar.total != total:
            self._bar.reset(total=total)
        self._bar.n = done
        self._bar.refresh()

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc) -> None:
        self._bar.close()


def _fit(store: ModelStore, entry, device: str) -> str:
    try:
        layout = inspect_folder(entry.path)
    except Exception as error:  # a folder that changed since `add`: say so in the row
        return f"broken ({str(error).split(': ', 1)[-1][:40]})"
    try:
        placement = choose(layout, device, model_name=entry.name)
    except NotEnoughMemory:
        return "no"
    return f"yes ({placement.policy}, {placement.dtype})"


def run_list(args: argparse.Namespace) -> int:
    from ..engine.devices import resolve_device

    device = resolve_device(args.device, field="--device")
    store = _store()
    entries = store.list()
    if not entries:
        print(f"no models in {store.root}; `retakes models pull` lists what can be fetched, "
              "`retakes models add NAME PATH` registers a folder you have")
        return 0
    rows = [("NAME", "FAMILY", "TASKS", "SIZE", "LICENCE", f"FITS {device}")]
    for e in entries:
        rows.append((e.name, e.family, ",".join(e.tasks), format_bytes(e.size_bytes), e.licence,
                     _fit(store, e, device)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def run_add(args: argparse.Namespace) -> int:
    with _Bar(f"hashing {args.name}") as bar:
        entry = _store().add(args.name, args.path, licence=args.licence or "", progress=bar)
    print(f"added {entry.name}: {entry.class_name} for {', '.join(entry.tasks)}, {format_bytes(entry.size_bytes)}, "
          f"{entry.parameters:,} parameters, licence {entry.licence}, manifest sha256 {entry.digest[:16]}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    store = _store()
    names = [args.name] if args.name else [e.name for e in store.list()]
    if not names:
        print("no models to verify")
        return 0
    bad = 0
    for name in names:
        with _Bar(f"verifying {name}") as bar:
            problems = store.verify(name, progress=bar)
        if problems:
            bad += 1
            for p in problems:
                print(f"{name}: {p.file} is {p.what}", file=sys.stderr)
        else:
            print(f"{name}: ok")
    if bad:
        print(f"retakes: error: {bad} model(s) failed verification; re-copy or re-pull them", file=sys.stderr)
        return 1
    return 0


def run_remove(args: argparse.Namespace) -> int:
    entry, deleted = _store().remove(args.name)
    kept = " and its downloaded files" if deleted else f" (its files are kept in {entry.path})"
    print(f"removed {entry.name}{kept}")
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from ..engine.models.pull import pull

    if not args.name:
        if args.accept_licence:
            raise InvalidArgument("--accept-licence goes with a model NAME", field="NAME")
        print("catalogue (retakes models pull NAME):")
        for e in CATALOGUE:
            terms = "permissive" if e.permissive else f"needs --accept-licence {e.licence}"
            print(f"  {e.name:<24} {e.task:<18} {e.licence:<36} {terms}{', gated' if e.gated else ''}")
            print(f"  {'':<24} {e.summary}; {e.repo_id}; licence: {e.licence_url}")
        return 0
    entry = pull(args.name, _store(), accept_licence=args.accept_licence, token=args.token, revision=args.revision)
    print(f"pulled {entry.name} ({entry.source}) into {entry.path}: {format_bytes(entry.size_bytes)}, "
          f"licence {entry.licence}")
    return 0
