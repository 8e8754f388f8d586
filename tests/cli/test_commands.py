"""What a new user met first (issue 13), each through the real `retakes` executable in a subprocess:
the ops listing, job id prefixes, closed pipes, out-of-range numbers, a folder named `retakes`
in the working directory, a killed CLI's private engine, an engine that dies under a watching
CLI, and a submit whose answer was lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from retakes.engine.media import probe
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.ops import REGISTRY
from retakes.v1 import engine_pb2
from tests.support.cli import RETAKES, one_line_error, retakes, user_env
from tests.support.engines import running_engine
from tests.support.grpc_proxy import LosingFirstSubmitProxy

LINUX = sys.platform.startswith("linux")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return write_index_clip(tmp_path_factory.mktemp("cmd") / "shot.mov", frames=12, rate="24", size=(160, 96),
                            codec="prores_422hq", audio=False)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """Long enough that its edit is still rendering a few seconds after it starts."""
    return write_index_clip(tmp_path_factory.mktemp("cmd") / "long.mp4", frames=360, rate="24", size=(320, 180),
                            codec="h264", audio=False)


def relight(source: Path, out: Path) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(out), op="relight")
    request.params["exposure"].number_value = 0.2
    return request


# -- retakes ops (item 3)


def test_ops_lists_every_op_with_the_options_edit_takes(short_tmp):
    run = retakes("ops", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    sections = dict(re.findall(r"^(\w+): .*?$\n((?:^ .*\n?)*)", run.stdout, re.M))
    assert sorted(sections) == sorted(REGISTRY), run.stdout
    edit_help = retakes("edit", "--help", home=short_tmp / "home").stdout
    for name, op in REGISTRY.items():
        for param in op.spec.params:
            flag = "--" + param.name.replace("_", "-")
            assert re.search(rf"^\s+{flag} ", sections[name], re.M), f"{name} does not list {flag}"
            assert flag in edit_help, f"`retakes ops` lists {flag}, which `retakes edit` does not take"
    # each op's own meaning of a flag several ops share
    assert "fraction of width" in sections["propagate"] and "fraction of width" not in sections["recolor"]
    assert "give exactly one of --color, --hue" in sections["recolor"]
    assert "--mask M" in sections["recolor"] and "--keyframe K --edited IMG" in sections["propagate"]


def test_ops_for_one_op_and_an_unknown_one(short_tmp):
    run = retakes("ops", "relight", home=short_tmp / "home")
    assert run.returncode == 0 and run.stdout.startswith("relight: ") and "recolor" not in run.stdout
    assert "day-to-night" in run.stdout and "-4 to 4 EV" in run.stdout
    bad = retakes("ops", "teleport", home=short_tmp / "home")
    assert bad.returncode == 2
    line = one_line_error(bad)
    assert line.startswith("retakes: error: OP: ") and "'teleport'" in line and "relight" in line


# -- job id prefixes and closed pipes (item 10)


def test_jobs_watch_and_cancel_take_a_unique_prefix_and_refuse_an_ambiguous_one(clip, short_tmp):
    home = short_tmp / "home"
    with running_engine(short_tmp / "state") as engine, engine.client() as client:
        jobs: list[engine_pb2.Job] = []
        # Until two ids share a first character (16 hex digits: 17 jobs at most).
        while len({job.id[0] for job in jobs}) == len(jobs):
            jobs.append(client.submit(relight(clip, short_tmp / f"out{len(jobs)}.mov")))
        for job in jobs:
            assert client.wait(job.id).state == engine_pb2.JOB_STATE_SUCCEEDED
        target = ["--engine", engine.unix_target]

        job = jobs[0]
        watched = retakes("jobs", "watch", job.id[:8], *target, home=home)
        assert watched.returncode == 0, watched.stderr
        assert f"wrote {short_tmp / 'out0.mov'}" in watched.stdout
        cancelled = retakes("jobs", "cancel", job.id[:8], *target, home=home)
        assert cancelled.returncode == 0 and cancelled.stdout.strip() == f"{job.id} succeeded", cancelled.stderr

        shared = next(c for c in {j.id[0] for j in jobs} if sum(j.id[0] == c for j in jobs) > 1)
        ambiguous = retakes("jobs", "watch", shared, *target, home=home)
        assert ambiguous.returncode == 1
        line = one_line_error(ambiguous)
        assert line.startswith("retakes: error: JOB_ID: "), line
        for candidate in (j for j in jobs if j.id.startswith(shared)):
            assert candidate.id in line

        missing = retakes("jobs", "cancel", "zz", *target, home=home)
        assert missing.returncode == 1 and "no job 'zz'" in one_line_error(missing)


@pytest.mark.parametrize("args", [["jobs", "list"], ["ops"]], ids=" ".join)
def test_output_into_a_pipe_nobody_reads_ends_quietly(short_tmp, args):
    """`retakes jobs list | head -1`: the reader goes away; the command stops without a traceback."""
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run([str(RETAKES), *args], stdout=write, stderr=subprocess.PIPE, text=True, timeout=120,
                             env=user_env(short_tmp / "home"))
    finally:
        os.close(write)
    assert run.returncode == 141, run.stderr
    assert run.stderr == "", run.stderr


# -- numbers a field cannot hold (item 24)


@pytest.mark.parametrize(("args", "option"), [
    (["edit", "SRC", "-o", "OUT", "--op", "relight", "--seed=-1"], "--seed"),
    (["edit", "SRC", "-o", "OUT", "--op", "relight", "--seed", "18446744073709551616"], "--seed"),
    (["edit", "SRC", "-o", "OUT", "--op", "relight", "--range", "0:9223372036854775808"], "--range"),
    (["edit", "SRC", "-o", "OUT", "--op", "relight", "--range=-9223372036854775809:4"], "--range"),
    (["edit", "SRC", "-o", "OUT", "--op", "relight", "--mask-frame", "99999999999999999999"], "--mask-frame"),
    (["edit", "SRC", "-o", "OUT", "--op", "remove", "--mask", "SRC", "--grow", "99999999999999999999"], "--grow"),
    (["track", "SRC", "-o", "OUT", "--mask", "SRC", "--keyframe", "-99999999999999999999"], "--keyframe"),
    (["jobs", "list", "--limit", "99999999999"], "--limit"),
    (["demo", "--size", "wide", "--out", "OUT"], "--size"),
    (["engine", "serve", "--port", "99999", "--state-dir", "OUT"], "--port"),
    (["engine", "serve", "--max-jobs", "0", "--state-dir", "OUT"], "--max-jobs"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_number_its_field_cannot_hold_is_one_line_naming_the_option(clip, short_tmp, args, option):
    out = short_tmp / "out"
    args = [str(clip) if a == "SRC" else str(out) if a == "OUT" else a for a in args]
    run = retakes(*args, home=short_tmp / "home", timeout=60)
    assert run.returncode == 2
    assert option in one_line_error(run)
    assert not out.exists()


# -- the private engine (items 5, 6, 7)


@pytest.mark.parametrize("package", [False, True], ids=["folder", "package"])
def test_a_folder_named_retakes_in_the_working_directory_does_not_break_edits(clip, short_tmp, package):
    # The parent of a clone of this repository, for one: `python -m` put it on the import path.
    work = short_tmp / "work"
    (work / "retakes").mkdir(parents=True)
    if package:
        (work / "retakes" / "__init__.py").write_text("")
    out = short_tmp / "o.mov"
    run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--exposure", "0.2", "--range", "0:3",
                  home=short_tmp / "home", cwd=work)
    assert run.returncode == 0, run.stderr
    assert probe(out).frame_count == 3


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def _private_engine_of(cli: subprocess.Popen, home: Path, *, running_job: bool) -> tuple[int, Path]:
    """The pid and socket folder of the engine `cli` started, once it runs the job (or serves)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert cli.poll() is None, cli.communicate()
        children = _children(cli.pid)
        logs = sorted((home / "logs").glob("engine-*.log"))
        if children and logs and ("running (attempt" in logs[-1].read_text() or not running_job):
            argv = Path(f"/proc/{children[0]}/cmdline").read_bytes().split(b"\0")
            socket = Path(argv[argv.index(b"--socket") + 1].decode())
            return children[0], socket.parent
        time.sleep(0.05)
    raise AssertionError("the CLI's private engine never started its job")


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
def test_a_killed_cli_takes_its_private_engine_and_its_folder_with_it(long_clip, short_tmp):
    home = short_tmp / "home"
    cli = subprocess.Popen([str(RETAKES), "edit", str(long_clip), "-o", str(short_tmp / "o.mov"), "--op", "relight",
                            "--look", "overcast"], env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    engine, folder = _private_engine_of(cli, home, running_job=True)
    try:
        assert folder.is_dir()
        cli.send_signal(signal.SIGKILL)
        cli.communicate()
        deadline = time.monotonic() + 30
        while _alive(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(engine), "the private engine outlived the CLI that started it"
        assert not folder.exists(), f"the private engine left {folder} behind"
    finally:
        if _alive(engine):
            os.kill(engine, signal.SIGKILL)


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
def test_ctrl_c_in_the_terminal_cancels_the_job_of_a_private_engine(long_clip, short_tmp):
    """A terminal's Ctrl-C signals its whole foreground process group. The private engine was in
    it: it stopped on the signal and put the job back in the queue, where the next engine
    finished it, though `retakes edit` had said nothing was written."""
    home, out = short_tmp / "home", short_tmp / "o.mov"
    cli = subprocess.Popen([str(RETAKES), "edit", str(long_clip), "-o", str(out), "--op", "relight",
                            "--look", "overcast"], env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)  # a process group of its own, as a shell gives it
    engine, folder = _private_engine_of(cli, home, running_job=True)
    os.killpg(cli.pid, signal.SIGINT)
    stdout, stderr = cli.communicate(timeout=120)
    assert cli.returncode == 130, stderr
    assert "cancelled; nothing was written" in stdout, stdout + stderr
    assert not _alive(engine) and not folder.exists()
    jobs = retakes("jobs", "list", home=home)
    assert jobs.returncode == 0 and " cancelled " in jobs.stdout, jobs.stdout
    assert not out.exists()


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
@pytest.mark.parametrize("delay", [0.0, 0.1, 0.25, 0.5, 1.0])
def test_ctrl_c_at_any_moment_ends_the_command_and_leaves_no_job_behind(long_clip, short_tmp, delay):
    """Ctrl-C `delay` s after the private engine appears: while the CLI waits for it, submits, sets up
    the watch or watches. Whenever it lands, the command ends at once with 130, nothing is written and
    no job is left queued or running (a Ctrl-C inside gRPC's own code once left the cancel's watch
    waiting for ever on a job already cancelled)."""
    home, out = short_tmp / "home", short_tmp / "o.mov"
    cli = subprocess.Popen([str(RETAKES), "edit", str(long_clip), "-o", str(out), "--op", "relight",
                            "--look", "overcast"], env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)  # fmt: skip
    _private_engine_of(cli, home, running_job=False)
    time.sleep(delay)
    os.killpg(cli.pid, signal.SIGINT)
    stdout, stderr = cli.communicate(timeout=60)
    assert cli.returncode == 130, stdout + stderr
    assert not out.exists()
    jobs = retakes("jobs", "list", home=home)
    assert jobs.returncode == 0, jobs.stderr
    assert " queued " not in jobs.stdout and " running " not in jobs.stdout, jobs.stdout


def test_an_edit_makes_no_grpc_call_on_the_main_thread(clip, short_tmp, monkeypatch):
    """The structure that keeps Ctrl-C out of gRPC (cli.running_job): submit, watch and cancel run on
    threads of their own, so an interrupt, which Python raises in the main thread, never lands inside
    a call."""
    from retakes.cli import edit
    from retakes.cli.main import main
    from retakes.engine.client import EngineClient, connect

    # the real `connect` wherever cli.edit was first imported from (a test that fakes the engine
    # may have been running then, and cli.edit keeps the name it imported)
    monkeypatch.setattr(edit, "connect", connect)

    callers: dict[str, set[str]] = {}
    for name in ("submit", "watch", "cancel"):
        original = getattr(EngineClient, name)

        def recorded(self, *args, _name=name, _original=original, **kwargs):
            callers.setdefault(_name, set()).add(threading.current_thread().name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(EngineClient, name, recorded)
    monkeypatch.setenv("RETAKES_HOME", str(short_tmp / "home"))  # the version it records goes there
    with running_engine(short_tmp / "state") as engine:
        status = main(["edit", str(clip), "-o", str(short_tmp / "o.mov"), "--op", "relight", "--look", "overcast",
                       "--engine", engine.unix_target])
    assert status == 0
    assert set(callers) >= {"submit", "watch"}
    assert all("MainThread" not in threads for threads in callers.values()), callers


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
def test_an_engine_dying_under_edit_says_how_to_follow_the_job_which_then_finishes(long_clip, short_tmp):
    home, out = short_tmp / "home", short_tmp / "o.mov"
    cli = subprocess.Popen([str(RETAKES), "edit", str(long_clip), "-o", str(out), "--op", "relight",
                            "--look", "overcast"], env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    engine, _ = _private_engine_of(cli, home, running_job=True)
    os.kill(engine, signal.SIGKILL)
    _, stderr = cli.communicate(timeout=60)
    assert cli.returncode == 1
    line = one_line_error(subprocess.CompletedProcess(cli.args, 1, "", stderr))
    assert "Stream removed" not in line and "Socket closed" not in line, line
    job_id = re.search(r"the engine stopped answering while job ([0-9a-f]{32}) was running", line).group(1)
    assert f"`retakes jobs watch {job_id}`" in line, line
    assert not out.exists()

    # What the message says works: the job resumes (once the dead engine's lease runs out) and finishes.
    watched = retakes("jobs", "watch", job_id[:8], home=home, timeout=240)
    assert watched.returncode == 0, watched.stderr
    assert f"wrote {out} (360 frames" in watched.stdout
    assert probe(out).frame_count == 360


def test_a_submit_whose_answer_was_lost_is_sent_again_and_makes_one_job(clip, short_tmp):
    out = short_tmp / "o.mov"
    with running_engine(short_tmp / "state") as engine, \
            LosingFirstSubmitProxy(engine.unix_target, short_tmp / "proxy.sock") as proxy:
        run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--exposure", "0.2",
                      "--engine", proxy.target, home=short_tmp / "home")
        assert run.returncode == 0, run.stderr
        assert proxy.submits == 2  # the lost one and the one sent again
        with engine.client() as client:
            jobs = client.list()
    assert len(jobs) == 1, [job.id for job in jobs]
    assert jobs[0].state == engine_pb2.JOB_STATE_SUCCEEDED
    assert probe(out).frame_count == 12


def test_a_command_loads_neither_the_frameio_sdk_nor_the_gpu_stack_until_it_needs_them(tmp_path):
    """Every `retakes` command builds the whole parser; the Frame.io SDK (a third of a second of
    every command's start) and torch load only where a review hand-off or a GPU job needs them."""
    probe_code = ("import sys; from retakes.cli.main import build_parser; build_parser(); "
                  "print(sorted(m for m in ('frameio', 'torch', 'PySide6') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-P", "-c", probe_code], capture_output=True, text=True,
                         env=user_env(tmp_path), timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
