"""`retakes models pull`: the one code path in retakes that may reach the network.

It runs only when a user types the command, fetches one catalogue model with
`huggingface_hub.snapshot_download` (resumable: files already there are kept; tqdm progress) into
the store's own folder, then registers it like `models add` (validated, hashed).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FailedPrecondition, InvalidArgument
from .catalogue import CATALOGUE, CatalogueEntry, find
from .store import ModelEntry, ModelStore, check_name


def check_pull(name: str, accept_licence: str | None, store: ModelStore) -> CatalogueEntry:
    """Every refusal `pull` can give, before anything is downloaded."""
    check_name(name)
    entry = find(name)
    if entry is None:
        raise InvalidArgument(f"no model {name!r} in the catalogue; known: {', '.join(e.name for e in CATALOGUE)} "
                              "(or copy a folder here and `retakes models add NAME PATH`)", field="NAME")
    if not entry.permissive and accept_licence != entry.licence:
        raise FailedPrecondition(
            f"{name} is under {entry.licence} ({entry.licence_url}), not a permissive licence; read it, then "
            f"pull with --accept-licence {entry.licence}", field="--accept-licence")
    if name in {e.name for e in store.list()}:
        raise FailedPrecondition(f"{name} is in the store already (`retakes models verify {name}`)", field="NAME")
    return entry


def pull(name: str, store: ModelStore, *, accept_licence: str | None = None, token: str | None = None,
         revision: str | None = None) -> ModelEntry:
    entry = check_pull(name, accept_licence, store)
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        raise FailedPrecondition("HF_HUB_OFFLINE is set: this machine is kept offline; copy the model folder here "
                                 "and `retakes models add`", field="NAME")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError

    target = store.weights_dir / name
    made = [d for d in (store.weights_dir, target) if not d.exists()]  # to take back if nothing comes
    target.mkdir(parents=True, exist_ok=True)
    try:
        snapshot_download(repo_id=entry.repo_id, revision=revision, local_dir=str(target),
                          allow_patterns=list(entry.allow_patterns), token=token)
    except GatedRepoError:
        raise FailedPrecondition(f"{entry.repo_id} is gated: accept its terms on the hub's page for it, then pull "
                                 "again with --token (or HF_TOKEN set)", field="--token") from None
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as error:
        for folder in reversed(made):  # nothing came: leave no trace; a partial download stays, to be resumed
            if not any(folder.iterdir()):
                folder.rmdir()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FailedPrecondition(f"could not download {entry.repo_id} ({reason}); run the command again to resume",
                                 field="NAME") from None
    return store.add(name, Path(target), licence=entry.licence, source=f"hf:{entry.repo_id}")
