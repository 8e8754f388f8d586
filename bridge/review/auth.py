"""Frame.io (Adobe IMS) authentication and the token file.

The SDK's `frameio.auth` flows do the IMS talking (client_credentials for server-to-server,
authorization code + refresh for a user). What they leave to us is persistence: tokens are
written to a file only the user can read (0600, created that way, never chmod'ed after the
fact, so there is no window where another user could open it), and re-read on the next run
so a user signs in once. `force_refresh` exists because a 401 from the API means the token
we hold is dead even if its clock says otherwise (revoked, rotated); the client calls it once.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from frameio.auth import ServerToServerAuth, WebAppAuth

IMS_BASE_URL = "https://ims-na1.adobelogin.com"


def default_token_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "retakes" / "frameio-tokens.json"


class TokenStore:
    """A JSON token file readable and writable by its owner only."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_token_path()

    def load(self) -> dict[str, Any] | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        if stat.S_IMODE(info.st_mode) & 0o077:
            # Someone widened the file's permissions: refuse to trust (or keep using) it.
            raise PermissionError(f"{self.path} is readable by others; delete it and sign in again")
        return json.loads(self.path.read_text())

    def save(self, tokens: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(tokens, fh)
        os.replace(tmp, self.path)  # atomic: a reader sees the old file or the new one

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class AuthConfig:
    """How to sign in. `kind` "s2s" needs no user; "user" needs a browser sign-in once."""

    client_id: str
    client_secret: str
    kind: Literal["s2s", "user"] = "s2s"
    redirect_uri: str = "http://localhost:8765/callback"
    ims_base_url: str = IMS_BASE_URL


class FrameioAuth:
    """Hands the SDK a token callable, persists every token it gets, refreshes on demand."""

    def __init__(self, config: AuthConfig, store: TokenStore) -> None:
        self.config = config
        self.store = store
        persist = self._persist
        if config.kind == "s2s":
            self._flow: ServerToServerAuth | WebAppAuth = ServerToServerAuth(
                client_id=config.client_id,
                client_secret=config.client_secret,
                ims_base_url=config.ims_base_url,
                on_token_refreshed=lambda _r: persist(),
            )
        else:
            self._flow = WebAppAuth(
                client_id=config.client_id,
                client_secret=config.client_secret,
                redirect_uri=config.redirect_uri,
                ims_base_url=config.ims_base_url,
                on_token_refreshed=lambda _r: persist(),
            )
        saved = store.load()
        if saved:
            self._flow.import_tokens(saved)

    # -- user OAuth (authorization code) -------------------------------------------------
    def authorization_url(self, state: str) -> str:
        if not isinstance(self._flow, WebAppAuth):
            raise ValueError("server-to-server auth has no browser sign-in")
        return self._flow.get_authorization_url(state)

    def exchange_code(self, code: str) -> None:
        if not isinstance(self._flow, WebAppAuth):
            raise ValueError("server-to-server auth has no browser sign-in")
        self._flow.exchange_code(code)
        self._persist()

    # -- what the API client uses ---------------------------------------------------------
    def get_token(self) -> str:
        if isinstance(self._flow, ServerToServerAuth) and not self._flow.export_tokens().get("access_token"):
            self._flow.authenticate()
            self._persist()
        return self._flow.get_token()

    def force_refresh(self) -> None:
        """Gets a new access token now (after a 401), whatever the cached expiry says."""
        if isinstance(self._flow, ServerToServerAuth):
            self._flow.authenticate()
        else:
            self._flow.refresh()
        self._persist()

    def sign_out(self) -> None:
        self._flow.revoke()
        self.store.clear()

    def _persist(self) -> None:
        self.store.save(self._flow.export_tokens())
