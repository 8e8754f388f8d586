"""Client of the in-app agent: a proxy that looks like Resolve's own `resolve` object.

`connect_resolve()` returns something that satisfies `retakes.bridge.resolve.api.Resolve`,
either through the agent (any edition) or, on Studio, through external scripting; nothing
else in retakes needs to know which. Calls are synchronous and serialized; a call Resolve does
not answer in time raises AgentTimeout with the agent's explanation instead of hanging.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .retakes_agent import ROOT, agent_file

START = "start retakes from Resolve: Workspace > Scripts > retakes"


class AgentError(RuntimeError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class AgentTimeout(AgentError, TimeoutError):
    """Resolve (or the agent) did not answer in time; the panel stays responsive."""


class AgentUnavailable(AgentError, ConnectionError):
    pass


class AgentClient:
    def __init__(self, port: int, token: str, *, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
        self.address, self.token, self.timeout = (host, port), token, timeout
        self._sock: socket.socket | None = None
        self._reader = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.source: Path | None = None  # the agent file this client was read from

    @classmethod
    def from_file(cls, path: str | os.PathLike | None = None, *, timeout: float = 30.0) -> AgentClient:
        """A client for the agent the file names; AgentUnavailable in words when there is none."""
        path = Path(path) if path else agent_file()
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise AgentUnavailable("not_running", f"the retakes agent is not running (no {path}); {START}") from None
        except (OSError, ValueError) as exc:
            raise AgentUnavailable("not_running", f"cannot read the agent file {path} ({exc}); {START}") from None
        if not isinstance(data, dict):
            raise AgentUnavailable("not_running", f"the agent file {path} is not the agent's; {START}")
        if data.get("refused"):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(data.get("at") or 0)))
            raise AgentUnavailable("refused", f"the retakes agent in Resolve refused to start ({when}): "
                                              f"{data['refused']}")
        try:
            client = cls(int(data["port"]), str(data["token"]), timeout=timeout)
        except (KeyError, TypeError, ValueError):
            raise AgentUnavailable("not_running", f"the agent file {path} names no port and token; {START}") from None
        client.source = path
        return client

    def check(self) -> dict:
        """hello, with a stale agent file said in words instead of "[Errno 111] Connection refused"."""
        try:
            return self.hello()
        except AgentUnavailable as exc:
            where = f"{self.source} is" if self.source else "the agent file is"
            raise AgentUnavailable(
                "not_running",
                f"the retakes agent is not running: {where} left from an earlier session (nothing answers "
                f"on {self.address[0]}:{self.address[1]}; Resolve may have quit or crashed); {START}",
            ) from exc

    def request(self, op: str, **fields: Any) -> Any:
        with self._lock:  # one request in flight per client: replies cannot cross
            rid = next(self._ids)
            payload = json.dumps({"token": self.token, "id": rid, "op": op, **fields}) + "\n"
            try:
                self._connect()
                self._sock.sendall(payload.encode())
                line = self._reader.readline()
            except TimeoutError:
                self._drop()  # a late reply must not be read as the answer to the next call
                raise AgentTimeout(
                    "timeout",
                    f"the retakes agent did not answer {fields.get('method', op)} "
                    f"within {self.timeout:g} s; Resolve may be busy or showing a dialog",
                ) from None
            except OSError as exc:
                self._drop()
                raise AgentUnavailable("not_running", f"cannot reach the retakes agent: {exc}") from None
            if not line:
                self._drop()
                raise AgentUnavailable("not_running", "the retakes agent closed the connection")
        reply = json.loads(line)
        if reply.get("ok"):
            return self._decode(reply.get("result"))
        error = reply.get("error") or {}
        kind, message = error.get("kind", "error"), error.get("message", "unknown agent error")
        raise (AgentTimeout if kind in ("timeout", "busy") else AgentError)(kind, message)

    def _connect(self) -> None:
        if self._sock is None:
            self._sock = socket.create_connection(self.address, timeout=self.timeout)
            self._reader = self._sock.makefile("rb")

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._reader = None, None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- values
    def _decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._decode(v) for v in value]
        if isinstance(value, dict):
            if set(value) == {"$ref"}:
                return RemoteObject(self, value["$ref"])
            if set(value) == {"$dict"}:
                return {k: self._decode(v) for k, v in value["$dict"]}
            return {k: self._decode(v) for k, v in value.items()}
        return value

    def hello(self) -> dict:
        return self.request("hello")

    def resolve(self) -> RemoteObject:
        return RemoteObject(self, ROOT)


def _encode(value: Any) -> Any:
    if isinstance(value, RemoteObject):
        return {"$ref": value._ref}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$dict": [[k, _encode(v)] for k, v in value.items()]}
    return value


class RemoteObject:
    """A Resolve object living in the agent. Method calls go over the wire; dir() asks Resolve."""

    def __init__(self, client: AgentClient, ref: str) -> None:
        self._client, self._ref = client, ref

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any) -> Any:
            return self._client.request("call", target=self._ref, method=name, args=_encode(list(args)))

        call.__name__ = name
        return call

    def __dir__(self) -> list[str]:
        return list(self._client.request("dir", target=self._ref))

    def has_remote_method(self, name: str) -> bool:
        """Asks the agent whether the real handle has `name` (see `resolve.api.has_method`)."""
        try:
            return bool(self._client.request("has", target=self._ref, method=name))
        except AgentError as exc:
            if exc.kind != "bad_request":
                raise
            return name in dir(self)  # an agent from before protocol 2 knows only dir()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteObject) and other._ref == self._ref and other._client is self._client

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"<Resolve object {self._ref} via agent>"


def connect_resolve(*, agent_path: str | os.PathLike | None = None, timeout: float = 30.0):
    """A Resolve handle: the in-app agent when it runs, else Studio's external scripting.

    When neither answers, AgentUnavailable says why in one sentence: the agent refused to
    start (its reason), the agent file is stale, Resolve is not running, or Resolve runs but
    refuses external scripting.
    """
    path = Path(agent_path) if agent_path else agent_file()
    stale = None
    if path.exists():
        client = AgentClient.from_file(path, timeout=timeout)  # a recorded refusal is the answer
        try:
            client.check()
            return client.resolve()
        except AgentUnavailable as exc:
            client.close()
            stale = exc
    try:
        return external_resolve()
    except AgentUnavailable as exc:
        if stale is not None:  # the agent was meant to be there: that is the news
            raise stale from exc
        raise


def external_resolve():
    """Studio's external scripting (`DaVinciResolveScript.scriptapp("Resolve")`), or why not."""
    try:
        import DaVinciResolveScript  # type: ignore[import-not-found]
    except ImportError:
        raise AgentUnavailable(
            "not_running",
            f"the retakes agent is not running (no {agent_file()}) and Resolve's scripting module is not "
            f"importable; {START}",
        ) from None
    resolve = DaVinciResolveScript.scriptapp("Resolve")
    if resolve is not None:
        return resolve
    running = resolve_running()
    if running is False:  # scriptapp answers None both when Resolve is closed and when it refuses
        raise AgentUnavailable("not_running", "DaVinci Resolve is not running: start it, open a project, then "
                                              "start retakes from Resolve: Workspace > Scripts > retakes")
    refused = ("Resolve refused external scripting (that needs DaVinci Resolve Studio with Preferences > "
               "System > General > External scripting using: Local); start retakes from Resolve instead: "
               "Workspace > Scripts > retakes")
    if running is None:
        refused = "Resolve did not answer: it is not running, or " + refused[0].lower() + refused[1:]
    raise AgentUnavailable("refused", refused)


_RESOLVE_PROCESS = {"linux": "resolve", "darwin": "Resolve", "win32": "Resolve.exe"}


def resolve_running(platform: str | None = None) -> bool | None:
    """Whether a DaVinci Resolve process runs for anyone on this machine; None when it cannot tell."""
    platform = platform or sys.platform
    try:
        if platform.startswith("linux"):
            names = set()
            for comm in Path("/proc").glob("[0-9]*/comm"):
                try:
                    names.add(comm.read_text().strip())
                except OSError:  # the process ended while we looked
                    continue
            return _RESOLVE_PROCESS["linux"] in names
        if platform == "darwin":
            done = subprocess.run(["pgrep", "-x", _RESOLVE_PROCESS["darwin"]], capture_output=True, timeout=5)
            return done.returncode == 0
        if platform.startswith("win"):
            done = subprocess.run(["tasklist", "/FI", f"IMAGENAME eq {_RESOLVE_PROCESS['win32']}", "/NH"],
                                  capture_output=True, text=True, timeout=5)
            return _RESOLVE_PROCESS["win32"].lower() in done.stdout.lower()
    except (OSError, subprocess.SubprocessError):
        return None
    return None
