"""The in-app agent: token, one Resolve thread, timeouts, and the bridge running through it."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from retakes.bridge.agent import retakes_agent as agent_mod
from retakes.bridge.agent.client import AgentClient, AgentError, AgentTimeout
from retakes.bridge.agent.retakes_agent import Agent, check_host, write_agent_file
from retakes.bridge.clipref import VersionMedia
from retakes.bridge.resolve.api import has_method
from retakes.bridge.resolve.double import ResolveDouble
from retakes.bridge.resolve.place import place_version
from retakes.bridge.resolve.read import current_clip, find_item


@pytest.fixture
def served():
    agents = []

    def start(resolve, **kw):
        agent = Agent(resolve, **kw)
        port = agent.serve()
        agents.append(agent)
        return agent, port

    yield start
    for agent in agents:
        agent.stop()


def _raw(port: int, request: dict) -> dict:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall((json.dumps(request) + "\n").encode())
        return json.loads(s.makefile("rb").readline())


def test_refuses_requests_without_the_token(served) -> None:
    resolve = ResolveDouble()
    agent, port = served(resolve)
    for token in (None, "", "not-the-token", agent.token[:-1]):
        request = {"id": 1, "op": "call", "method": "GetProductName", "args": []}
        if token is not None:
            request["token"] = token
        reply = _raw(port, request)
        assert reply["ok"] is False and reply["error"]["kind"] == "unauthorized"
    assert (
        _raw(port, {"token": agent.token, "id": 2, "op": "call", "method": "GetProductName"})["result"]
        == "DaVinci Resolve Studio"
    )
    with pytest.raises(AgentError, match="wrong token"):
        AgentClient(port, "guess").resolve().GetProductName()


def test_the_bridge_works_the_same_through_the_agent(served, scene, tmp_path) -> None:
    agent, port = served(scene.resolve)
    with AgentClient(port, agent.token) as client:
        remote = client.resolve()
        assert current_clip(remote) == current_clip(scene.resolve)
        timeline = remote.GetProjectManager().GetCurrentProject().GetCurrentTimeline()
        # the agent asks the real handle, which has the method though dir() does not list it
        assert "GetSelectedClips" not in dir(timeline) and has_method(timeline, "GetSelectedClips")
        assert not has_method(timeline, "GetNoSuchThing")
        scene.clip.AddMarker(3, "Blue", "n", "", 1, "x")
        remote_item = [
            i for i in timeline.GetItemListInTrack("video", 1) if i.GetUniqueId() == scene.clip.GetUniqueId()
        ][0]
        assert remote_item.GetMarkers() == {3.0: scene.clip.GetMarkers()[3.0]}  # float keys survive JSON
        # a placement passes handles inside dicts (AppendToTimeline's clipInfo) and reads back
        clip = current_clip(remote)
        out = tmp_path / "v001.mov"
        out.write_bytes(b"v1")
        scene.register_output(out)
        placed = place_version(remote, clip, VersionMedia("v001", str(out)))
        item = find_item(scene.timeline, placed.item_id)
        assert (item.GetStart(), item.GetDuration(), item.GetTrackTypeAndIndex()) == (
            clip.placement.record.start,
            clip.placement.duration,
            ["video", 2],
        )


@pytest.mark.parametrize("version, selected, expect", [
    ((21, 0, 4, 7, ""), True, "the selected clip"),
    ((21, 0, 4, 7, ""), False, "a question"),
    ((20, 3, 2, 9, ""), False, "the clip under the playhead"),
])
def test_selection_through_the_agent(served, tmp_path, version, selected, expect) -> None:
    from retakes.bridge.clipref import NoClipSelected
    from tests.support.resolve_scenes import RATES, make_scene

    _, rate, tc, drop, media_tc = RATES[1]
    scene = make_scene(tmp_path, rate, tc, drop, media_tc, version=version)
    scene.timeline.selected = [scene.clip] if selected else []
    lead_in = scene.timeline.tracks[0][0]
    scene.timeline.playhead = (lead_in if expect == "a question" else scene.clip).GetStart()
    agent, port = served(scene.resolve)
    with AgentClient(port, agent.token) as client:
        if expect == "a question":
            with pytest.raises(NoClipSelected, match="no clip is selected .* is 'lead-in' on V1"):
                current_clip(client.resolve())
        else:
            assert current_clip(client.resolve()).item_id == scene.clip.GetUniqueId()


class _Probe:
    """A host object that notices overlapping calls and can hang on demand."""

    def __init__(self) -> None:
        self.inside, self.most, self.lock = 0, 0, threading.Lock()
        self.release = threading.Event()

    def Work(self) -> int:  # noqa: N802 - Resolve-style name
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.01)
        with self.lock:
            self.inside -= 1
        return threading.get_ident()

    def Hang(self) -> bool:  # noqa: N802
        self.release.wait(10)
        return True


def test_calls_are_serialized_on_one_thread(served) -> None:
    probe = _Probe()
    agent, port = served(probe)
    threads_seen: list[int] = []

    def worker() -> None:
        with AgentClient(port, agent.token) as client:
            threads_seen.extend(client.resolve().Work() for _ in range(5))

    workers = [threading.Thread(target=worker) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(threads_seen) == 30 and probe.most == 1
    assert len(set(threads_seen)) == 1  # every Resolve call ran on the one Resolve thread


def test_a_hanging_call_times_out_with_a_clear_message(served) -> None:
    probe = _Probe()
    agent, port = served(probe, call_timeout=0.3)
    client = AgentClient(port, agent.token, timeout=5)
    started = time.monotonic()
    with pytest.raises(AgentTimeout, match=r"did not answer Hang within 0.3 s"):
        client.resolve().Hang()
    assert time.monotonic() - started < 2
    with pytest.raises(AgentTimeout, match="still inside Hang"):  # no queueing behind a stuck call
        client.resolve().Work()
    probe.release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            assert isinstance(client.resolve().Work(), int)
            break
        except AgentTimeout:
            time.sleep(0.05)
    else:
        pytest.fail("the agent did not recover after Resolve answered")


def test_client_side_timeout_when_the_agent_itself_is_silent() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = AgentClient(silent.getsockname()[1], "t", timeout=0.2)
        with pytest.raises(AgentTimeout, match="did not answer GetName within 0.2 s"):
            client.resolve().GetName()


def test_unknown_methods_and_exceptions_are_answers(served) -> None:
    resolve = ResolveDouble()
    agent, port = served(resolve)
    remote = AgentClient(port, agent.token).resolve()
    with pytest.raises(AgentError, match="not available"):
        remote.GetNoSuchThing()
    with pytest.raises(AgentError, match="TypeError"):
        remote.GetProductName("unexpected")


@pytest.mark.parametrize(
    "product, version, ok, says",
    [
        ("DaVinci Resolve Studio", [21, 1, 0, 14, ""], True, "works here"),
        ("DaVinci Resolve", [21, 1, 0, 14, ""], False, "moved Python scripting to Studio"),
        ("DaVinci Resolve", [21, 0, 3, 7, ""], True, "free edition works through this in-app agent"),
        ("DaVinci Resolve Studio", [20, 3, 2, 9, ""], True, "clip under the playhead"),
        ("DaVinci Resolve Studio", [19, 0, 1, 0, ""], False, "needs Resolve 19.0.2"),
    ],
)
def test_edition_and_version_check(product, version, ok, says) -> None:
    usable, notes = check_host(product, version)
    assert usable is ok and any(says in n for n in notes)


def test_agent_file_is_private(tmp_path) -> None:
    path = tmp_path / "state" / "agent.json"
    write_agent_file(path, {"port": 1, "token": "secret"})
    assert json.loads(path.read_text())["token"] == "secret"
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_main_refuses_free_21_1_and_starts_nothing(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RETAKES_STATE_DIR", str(tmp_path))
    assert agent_mod.main({"resolve": ResolveDouble("DaVinci Resolve", (21, 1, 0, 14, ""))}) == 1
    assert "moved Python scripting to Studio" in capsys.readouterr().out
    left = json.loads((tmp_path / "agent.json").read_text())
    assert "port" not in left and "token" not in left  # nothing listens, nothing to connect to
    with pytest.raises(AgentError, match="refused to start .*moved Python scripting to Studio") as refused:
        AgentClient.from_file(tmp_path / "agent.json")
    assert refused.value.kind == "refused"


def test_agent_module_imports_only_the_standard_library() -> None:
    import ast
    import sys

    tree = ast.parse(Path(agent_mod.__file__).read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names - {"__future__", "DaVinciResolveScript"} <= set(sys.stdlib_module_names)
