"""retakes in-app agent for DaVinci Resolve (Workspace > Scripts > retakes).

Standard library only, Python 3.8+ syntax: Resolve runs this file with whatever Python it
finds, which is not the one retakes is installed in. The agent

1. checks the edition and version (`GetProductName`, `GetVersion`) and says what works there;
2. owns the `resolve` object and makes every Resolve call on one thread (the API is not
   thread-safe, and a second call during a long one hangs inside fusionscript);
3. serves a small JSON protocol on 127.0.0.1 (one JSON object per line) that re-exports the
   scripting API: `call` a method on an object handle, `has` (is a method there), `dir` an
   object, `release` handles;
4. authenticates every request with a per-launch token, kept in a file only this user can
   read (`agent.json` in the retakes state folder), next to the port; when it refuses to
   start, that file holds the reason instead, so the panel and the CLI can say it;
5. starts the panel (`python -m retakes.panel`) with the Python the installer recorded.

A Resolve call that does not return within the call timeout answers the caller with a
"timeout" error at once; later calls get "busy" until Resolve comes back, instead of queueing
behind it. Requests: {"token", "id", "op": "hello"|"call"|"has"|"dir"|"release"|"shutdown",
"target": handle, "method": name, "args": [...]}. Replies: {"id", "ok": true, "result"} or
{"id", "ok": false, "error": {"kind", "message"}}. Resolve objects travel as {"$ref": "h12"};
dicts with non-string keys (GetMarkers) as {"$dict": [[key, value], ...]}.
"""

from __future__ import annotations

import hmac
import json
import os
import queue
import secrets
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

PROTOCOL = 2  # 2: the "has" op
ROOT = "root"
DEFAULT_CALL_TIMEOUT = 20.0
_PRIMITIVES = (str, int, float, bool, type(None))


# ---------------------------------------------------------------- edition and version


def check_host(product: str, version: list) -> tuple[bool, list[str]]:
    """(usable, plain-words notes) for this Resolve. Pure: tested without Resolve."""
    studio = "studio" in (product or "").lower()
    nums = tuple(int(v) for v in list(version or [])[:3] if isinstance(v, (int, float)))
    nums = nums + (0,) * (3 - len(nums))
    name = f"{product or 'DaVinci Resolve'} {'.'.join(str(n) for n in nums)}"
    notes = []
    if not studio and nums >= (21, 1, 0):
        return False, [
            f"{name}: Resolve 21.1 moved Python scripting to Studio, so the free edition cannot "
            "run retakes. Use DaVinci Resolve Studio, or the free edition up to 21.0.x."
        ]
    if nums < (19, 0, 2):
        return False, [
            f"{name}: retakes needs Resolve 19.0.2 or later (it reads exact source frames "
            "with calls added in 19.0.2). Please update Resolve."
        ]
    if nums < (21, 0, 4):
        notes.append(
            f"{name}: retakes sends the clip under the playhead (selecting clips for scripts "
            "needs Resolve 21.0.4)."
        )
    if not studio:
        notes.append(
            f"{name}: the free edition works through this in-app agent only; keep it running "
            "from Workspace > Scripts while you use retakes."
        )
    notes.insert(0, f"{name}: retakes works here.")
    return True, notes


# ---------------------------------------------------------------- one Resolve thread


class CallTimeout(Exception):
    pass


class Busy(Exception):
    pass


class ResolveThread:
    """Runs every Resolve call on one thread; callers wait at most `timeout` seconds."""

    def __init__(self, timeout: float = DEFAULT_CALL_TIMEOUT) -> None:
        self.timeout = timeout
        self._jobs: queue.Queue = queue.Queue()
        self._lock = threading.Lock()  # one caller in flight: calls are serialized end to end
        self._stuck: tuple[str, float] | None = None
        self._thread = threading.Thread(target=self._run, name="resolve-calls", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            fn, box, done = self._jobs.get()
            if fn is None:
                return
            try:
                box["result"] = fn()
            except BaseException as exc:  # reported to the caller, never kills the thread
                box["error"] = exc
            done.set()

    def call(self, what: str, fn):
        stuck = self._stuck
        if stuck is not None:
            raise Busy(
                f"Resolve is still inside {stuck[0]} (for {time.monotonic() - stuck[1]:.0f} s); "
                "try again when it answers"
            )
        if not self._lock.acquire(timeout=self.timeout):
            raise CallTimeout(f"waited {self.timeout:g} s for an earlier call to finish")
        try:
            box: dict = {}
            done = threading.Event()
            self._jobs.put((fn, box, done))
            if not done.wait(self.timeout):
                started = time.monotonic() - self.timeout
                self._stuck = (what, started)
                self._clear_when_done(done)
                raise CallTimeout(
                    f"Resolve did not answer {what} within {self.timeout:g} s (it may be rendering or "
                    "showing a dialog); the call is still pending in Resolve"
                )
            if "error" in box:
                raise box["error"]
            return box.get("result")
        finally:
            self._lock.release()

    def _clear_when_done(self, done: threading.Event) -> None:
        def wait() -> None:
            done.wait()
            self._stuck = None

        threading.Thread(target=wait, daemon=True).start()

    def stop(self) -> None:
        self._jobs.put((None, None, None))


# ---------------------------------------------------------------- handles


class Handles:
    """Resolve objects by handle id; the id travels, the object stays here."""

    def __init__(self, root: object) -> None:
        self._objects = {ROOT: root}
        self._ids: dict[int, str] = {id(root): ROOT}
        self._next = 0

    def encode(self, value):
        if isinstance(value, _PRIMITIVES):
            return value
        if isinstance(value, (list, tuple)):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value):
                return {k: self.encode(v) for k, v in value.items()}
            return {"$dict": [[k, self.encode(v)] for k, v in value.items()]}
        ref = self._ids.get(id(value))
        if ref is None or self._objects.get(ref) is not value:
            self._next += 1
            ref = f"h{self._next}"
            self._objects[ref], self._ids[id(value)] = value, ref
        return {"$ref": ref}

    def decode(self, value):
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if isinstance(value, dict):
            if set(value) == {"$ref"}:
                return self.get(value["$ref"])
            if set(value) == {"$dict"}:
                return {k: self.decode(v) for k, v in value["$dict"]}
            return {k: self.decode(v) for k, v in value.items()}
        return value

    def get(self, ref: str) -> object:
        if ref not in self._objects:
            raise LookupError(f"unknown handle {ref!r} (released, or from an earlier agent)")
        return self._objects[ref]

    def release(self, refs: list) -> None:
        for ref in refs:
            if ref != ROOT:
                obj = self._objects.pop(ref, None)
                if obj is not None:
                    self._ids.pop(id(obj), None)


# ---------------------------------------------------------------- the server


class Agent:
    """The protocol over one Resolve object. `serve()` binds loopback and returns the port."""

    def __init__(
        self,
        resolve: object,
        *,
        token: str | None = None,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        host_info: dict | None = None,
    ) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self.handles = Handles(resolve)
        self.calls = ResolveThread(call_timeout)
        self.host_info = host_info or {}
        self.stopped = threading.Event()
        self._server: socketserver.ThreadingTCPServer | None = None

    def handle(self, request: dict) -> dict:
        rid = request.get("id")
        if not isinstance(request.get("token"), str) or not hmac.compare_digest(request["token"], self.token):
            return _error(rid, "unauthorized", "missing or wrong token: read it from the agent file")
        op = request.get("op")
        try:
            if op == "hello":
                return {"id": rid, "ok": True, "result": {"protocol": PROTOCOL, **self.host_info}}
            if op == "call":
                return {"id": rid, "ok": True, "result": self._call(request)}
            if op == "has":
                return {"id": rid, "ok": True, "result": self._has(request)}
            if op == "dir":
                target = self.handles.get(request.get("target", ROOT))
                names = self.calls.call("dir()", lambda: [n for n in dir(target) if not n.startswith("_")])
                return {"id": rid, "ok": True, "result": names}
            if op == "release":
                self.handles.release(list(request.get("refs", [])))
                return {"id": rid, "ok": True, "result": None}
            if op == "shutdown":
                self.stop()
                return {"id": rid, "ok": True, "result": None}
            return _error(rid, "bad_request", f"unknown op {op!r}")
        except CallTimeout as exc:
            return _error(rid, "timeout", str(exc))
        except Busy as exc:
            return _error(rid, "busy", str(exc))
        except LookupError as exc:
            return _error(rid, "bad_request", str(exc))
        except Exception as exc:  # a Resolve exception is an answer, not a crash
            return _error(rid, "exception", f"{type(exc).__name__}: {exc}")

    def _has(self, request: dict) -> bool:
        """callable(getattr(...)) on the real handle: dir() need not list every method it has."""
        target = self.handles.get(request.get("target", ROOT))
        method = str(request.get("method", ""))
        if not method or method.startswith("_"):
            return False
        return bool(self.calls.call("has", lambda: callable(getattr(target, method, None))))

    def _call(self, request: dict):
        target = self.handles.get(request.get("target", ROOT))
        method = str(request.get("method", ""))
        if not method or method.startswith("_"):
            raise LookupError(f"no method {method!r}")
        args = self.handles.decode(list(request.get("args", [])))

        def run():
            fn = getattr(target, method, None)
            if not callable(fn):  # Resolve hands back None for names it does not have
                raise LookupError(f"{method} is not available in this Resolve")
            return fn(*args)

        return self.handles.encode(self.calls.call(method, run))

    def serve(self, port: int = 0) -> int:
        agent = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for line in self.rfile:
                    try:
                        request = json.loads(line)
                        reply = agent.handle(request if isinstance(request, dict) else {})
                    except ValueError:
                        reply = _error(None, "bad_request", "each request is one JSON object per line")
                    self.wfile.write((json.dumps(reply) + "\n").encode())
                    self.wfile.flush()
                    if agent.stopped.is_set():
                        return

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="retakes-agent", daemon=True).start()
        return server.server_address[1]

    def stop(self) -> None:
        self.stopped.set()
        if self._server is not None:
            threading.Thread(target=self._server.shutdown, daemon=True).start()
        self.calls.stop()


def _error(rid, kind: str, message: str) -> dict:
    return {"id": rid, "ok": False, "error": {"kind": kind, "message": message}}


# ---------------------------------------------------------------- files and the panel


def state_dir(env: dict | None = None, platform: str | None = None) -> Path:
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if env.get("RETAKES_STATE_DIR"):
        return Path(env["RETAKES_STATE_DIR"])
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / "retakes"
    if platform.startswith("win"):
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "retakes"
    return Path(env.get("XDG_STATE_HOME") or home / ".local" / "state") / "retakes"


def agent_file(env: dict | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env["RETAKES_AGENT_FILE"]) if env.get("RETAKES_AGENT_FILE") else state_dir(env) / "agent.json"


def write_agent_file(path: Path, data: dict) -> None:
    """Writes the port and token readable by this user only (0600 in a 0700 folder on POSIX).

    On Windows the file lives under %LOCALAPPDATA%, which other users cannot read by default.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def start_panel(config: dict, agent_path: Path):
    """Starts `python -m retakes.panel` with the interpreter the installer recorded, if any."""
    python = config.get("python")
    if not python or not Path(python).exists():
        print(
            "retakes: the panel is not installed for this user (run the retakes installer); "
            "the agent runs without it."
        )
        return None
    env = dict(os.environ, RETAKES_AGENT_FILE=str(agent_path))
    return subprocess.Popen([python, "-m", "retakes.panel"], env=env)


def _find_resolve(namespace: dict):
    if namespace.get("resolve") is not None:  # Resolve binds it for menu scripts
        return namespace["resolve"]
    bmd = namespace.get("bmd")
    if bmd is not None:
        return bmd.scriptapp("Resolve")
    try:
        import DaVinciResolveScript  # noqa: N813 - Blackmagic's module name

        return DaVinciResolveScript.scriptapp("Resolve")
    except ImportError:
        return None


def main(namespace: dict | None = None) -> int:
    resolve = _find_resolve(namespace if namespace is not None else globals())
    if resolve is None:
        print("retakes: no Resolve here. Run this from Workspace > Scripts > retakes inside Resolve.")
        return 1
    product, version = resolve.GetProductName(), resolve.GetVersion()
    ok, notes = check_host(product, version)
    for note in notes:
        print("retakes:", note)
    if not ok:
        # Resolve's console is out of sight: leave the reason where the panel and CLI look first.
        write_agent_file(agent_file(), {"refused": " ".join(notes), "at": time.time(), "pid": os.getpid(),
                                        "product": product, "version": list(version or [])})
        return 1
    config_path = Path(__file__).with_name("retakes_agent.json")
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    agent = Agent(
        resolve,
        call_timeout=float(config.get("call_timeout", DEFAULT_CALL_TIMEOUT)),
        host_info={"product": product, "version": list(version), "notes": notes},
    )
    port = agent.serve()
    path = agent_file()
    write_agent_file(
        path,
        {
            "port": port,
            "token": agent.token,
            "pid": os.getpid(),
            "protocol": PROTOCOL,
            "product": product,
            "version": list(version),
        },
    )
    print(f"retakes: agent listening on 127.0.0.1:{port}")
    panel = start_panel(config, path)
    try:
        # Serve until the panel exits (or, without a panel, until a shutdown request).
        while not agent.stopped.wait(1.0):
            if panel is not None and panel.poll() is not None:
                break
    finally:
        agent.stop()
        path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    main(globals())
