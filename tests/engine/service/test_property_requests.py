"""Generated hostile requests against a real engine over real gRPC (issue 13, guard 2).

Every op and every one of its parameters is taken from the engine's own capabilities, so an
op or parameter added later is fed too. Values are drawn from what breaks programs: NaN,
infinities, huge and negative numbers, empty, long (1 MB), unicode and NUL strings, odd paths
(relative, `..`, FIFOs, devices, folders, missing, the inputs themselves). Whatever comes in,
the engine answers one of two ways:

- a refusal: INVALID_ARGUMENT (NOT_FOUND for a missing file) naming the request field, in a
  short message with no traceback, and nothing queued or written anywhere;
- a job, which either succeeds and writes its output, or fails the same clear way and writes
  nothing.

Never INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED or a deadline, and never an input changed. The
examples are derandomized (the same ones every run, in CI too) and few, on a 4-frame 64x48
clip, so the whole file takes well under a minute on two cores.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retakes.engine.media.synthetic import write_index_clip, write_index_sequence
from retakes.engine.service.status import field_of
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2, engine_pb2_grpc
from tests.support.engines import EngineHandle, running_engine

W, H, FRAMES = 64, 48, 4
MEGABYTE = "m" * (1 << 20)
EARLIER = b"an earlier file"
#: what a client may be answered when its request is at fault; each names the field
CLIENT_ERRORS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
CLIENT_ERROR_NAMES = {"INVALID_ARGUMENT", "NOT_FOUND"}
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("RETAKES_PROPERTY_EXAMPLES", "70")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@dataclass
class World:
    """The engine and the files the strategies point at, made once for the module."""

    engine: EngineHandle
    stub: engine_pb2_grpc.EngineServiceStub
    root: Path
    media: Path
    ops: list[engine_pb2.OpDescriptor]
    codecs: list[str]
    source: Path
    sequence: Path
    mask: Path
    masks: Path
    image: Path
    plate: Path
    fifo: Path
    empty_dir: Path
    foreign_dir: Path
    existing: Path
    inputs: dict[Path, str]  # every input file's sha256: they must never change
    serial: int = 0

    def fresh_dir(self) -> Path:
        self.serial += 1
        folder = self.root / "out" / f"{self.serial:04d}"
        folder.mkdir(parents=True)
        return folder


def _write(path: Path, image: np.ndarray) -> Path:
    cv2.imwrite(str(path), image)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    root = Path(str(tmp_path_factory.mktemp("prop")))
    media = root / "media"
    media.mkdir()
    source = write_index_clip(media / "src.mkv", frames=FRAMES, rate=FrameRate(Fraction(25)), size=(W, H),
                              audio=False)
    sequence = write_index_sequence(media / "seq", frames=FRAMES, size=(W, H))
    m = np.zeros((H, W), np.uint8)
    m[12:36, 16:48] = 255
    mask = _write(media / "mask.png", m)
    masks = media / "masks"
    masks.mkdir()
    for i in range(FRAMES):
        _write(masks / f"{i:05d}.png", np.roll(m, i, axis=1))
    image = _write(media / "edited.png", np.full((H, W, 3), (40, 160, 220), np.uint8))
    plate = _write(media / "plate.png", np.full((H, W, 3), (10, 90, 30), np.uint8))
    fifo = media / "pipe.mov"
    os.mkfifo(fifo)
    empty_dir = media / "empty"
    empty_dir.mkdir()
    foreign_dir = media / "desk"
    foreign_dir.mkdir()
    (foreign_dir / "notes.txt").write_text("someone's work")
    existing = media / "existing.mov"
    existing.write_bytes(EARLIER)
    # the existing output is no input: a request with `overwrite` may replace it (and `_reset` puts it back)
    inputs = {p: _sha(p) for p in media.rglob("*") if p.is_file() and p != existing}
    with running_engine(root / "state", chunk_frames=2) as engine, \
            grpc.insecure_channel(engine.unix_target) as channel:
        stub = engine_pb2_grpc.EngineServiceStub(channel)
        caps = stub.GetCapabilities(engine_pb2.GetCapabilitiesRequest(), timeout=60)
        yield World(engine, stub, root, media, list(caps.ops), [c.name for c in caps.codecs], source, sequence, mask,
                    masks, image, plate, fifo, empty_dir, foreign_dir, existing, inputs)
    # a reader wrongly left blocked on the FIFO would keep the interpreter from exiting
    for _ in range(64):
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            break


# ------------------------------------------------------------------ value strategies

#: strings that have broken programs: empty, blank, NUL, unicode (3 and 4 UTF-8 bytes), lone
#: surrogate range, format codes, numbers that are none, 1 MB of ASCII and 600 KB of CJK
ODD_STRINGS = ["", " ", "\0", "a\0b", "\u96fb\u5f71\U0001F3AC", "\ud7ff" * 3, "../..", "%s%n", "-1", "nan", "inf",
               "-Infinity", "1e999", "0x1F", "#GGGGGG", "#ff880", MEGABYTE, "\u96fb" * 200_000]
ODD_TEXT = st.one_of(st.text(max_size=12), st.sampled_from(ODD_STRINGS))
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -1.0, 1e308, -1e308, 5e-324, 2.0**63, 1e9, 0.5]),
)
INTEGERS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63), 3]),
)


def odd_paths(w: World) -> list[str]:
    """Input paths that are no readable media file."""
    return [
        str(w.fifo), str(w.empty_dir), str(w.foreign_dir), str(w.root / "nope" / "x.png"), "relative.png",
        "../x.png", "a\0b.png", "n" * 300 + ".png", "~no_such_user_x/a.png", "", "/dev/null", "/dev/zero",
        str(w.existing), str(w.sequence), str(w.masks), MEGABYTE, str(w.root) + "/media/../media/mask.png",
        "/" + "d/" * 2100 + "x.png",
    ]


def _odd_path(w: World) -> st.SearchStrategy[str]:
    return st.sampled_from(odd_paths(w))


def _good_param(w: World, p: engine_pb2.ParamDescriptor) -> st.SearchStrategy[engine_pb2.ParamValue]:
    """A value the parameter's published spec allows."""
    if p.type == engine_pb2.PARAM_TYPE_PATH:
        return st.sampled_from([str(w.plate), str(w.source)]).map(lambda v: engine_pb2.ParamValue(text_value=v))
    if p.choices:
        return st.sampled_from(list(p.choices)).map(lambda v: engine_pb2.ParamValue(text_value=v))
    if p.type == engine_pb2.PARAM_TYPE_COLOR:
        return st.sampled_from(["#FF8800", "#000000"]).map(lambda v: engine_pb2.ParamValue(text_value=v))
    if p.type == engine_pb2.PARAM_TYPE_BOOL:
        return st.booleans().map(lambda v: engine_pb2.ParamValue(bool_value=v))
    if p.type in (engine_pb2.PARAM_TYPE_NUMBER, engine_pb2.PARAM_TYPE_INTEGER):
        low = p.minimum if p.HasField("minimum") else 0.0
        high = p.maximum if p.HasField("maximum") else low + 4.0
        values = sorted({low, high, (low + high) / 2})
        if p.type == engine_pb2.PARAM_TYPE_INTEGER:
            return st.sampled_from(sorted({int(v) for v in values})).map(lambda v: engine_pb2.ParamValue(int_value=v))
        return st.sampled_from(values).map(lambda v: engine_pb2.ParamValue(number_value=v))
    return st.just(engine_pb2.ParamValue(text_value="x"))


def _odd_param(w: World, p: engine_pb2.ParamDescriptor) -> st.SearchStrategy[engine_pb2.ParamValue]:
    """Hostile values, typed as the parameter is declared and every other way."""
    as_number = NUMBERS.map(lambda v: engine_pb2.ParamValue(number_value=v))
    as_int = INTEGERS.map(lambda v: engine_pb2.ParamValue(int_value=v))
    as_text = ODD_TEXT.map(lambda v: engine_pb2.ParamValue(text_value=v))
    as_bool = st.booleans().map(lambda v: engine_pb2.ParamValue(bool_value=v))
    if p.type == engine_pb2.PARAM_TYPE_PATH:
        first = _odd_path(w).map(lambda v: engine_pb2.ParamValue(text_value=v))
    elif p.type == engine_pb2.PARAM_TYPE_NUMBER:
        first = as_number
    elif p.type == engine_pb2.PARAM_TYPE_INTEGER:
        first = as_int
    else:
        first = as_text
    return st.one_of(first, first, as_number, as_int, as_text, as_bool, st.just(engine_pb2.ParamValue()))


def _odd_media_ref(w: World) -> st.SearchStrategy[engine_pb2.MediaRef]:
    uploads = st.one_of(st.sampled_from(["0" * 64, "g" * 64, ""]), ODD_TEXT)
    return st.one_of(_odd_path(w).map(lambda v: engine_pb2.MediaRef(path=v)),
                     _odd_path(w).map(lambda v: engine_pb2.MediaRef(path=v)),
                     uploads.map(lambda v: engine_pb2.MediaRef(upload_sha256=v)),
                     st.just(engine_pb2.MediaRef()))


def odd_outputs(w: World, folder: Path) -> list[str]:
    """Outputs that must be refused, or written exactly where they resolve to."""
    return [
        "x.mov", "../x.mov", "a/../../x.mov", "sub/x.mov", str(folder / "nosuch" / ".." / "x.mov"),
        str(folder / "nosuch" / "x.mov"), str(w.existing), str(w.foreign_dir), str(w.empty_dir), str(w.source),
        str(w.mask), str(w.sequence), str(w.plate), str(w.image), str(folder / ("n" * 250 + ".mov")),
        str(folder / ("n" * 300 + ".mov")), str(folder / "a\0b.mov"), "/dev/null", str(w.fifo),
        "~no_such_user_x/o.mov", "", MEGABYTE, str(folder / "o.avi"), str(folder / "o.txt"), str(folder / "O.MOV"),
        str(folder) + "/" + "d/" * 2100 + "x.mov",
    ]


def _odd_output(w: World, folder: Path) -> st.SearchStrategy[str]:
    return st.sampled_from(odd_outputs(w, folder))


#: the request's fields a test example may spoil; the rest stay valid
FIELDS = ["op", "source", "output_path", "codec", "range", "mask", "mask_frame", "keyframes", "params",
          "unknown_param", "device", "sequence_rate", "sequence_start_timecode"]


@st.composite
def edit_requests(draw, w: World) -> engine_pb2.EditRequest:
    """A valid request for an op from the capabilities, with up to three of its fields spoilt
    (none, at first: hypothesis starts from the simplest example)."""
    folder = w.fresh_dir()
    op = draw(st.sampled_from(w.ops), label="op")
    spoil = draw(st.sets(st.sampled_from(FIELDS), max_size=3), label="spoilt")
    request = engine_pb2.EditRequest(op=op.name, overwrite=draw(st.booleans()), seed=draw(st.integers(0, 2**64 - 1)))
    # -- valid
    sequence = draw(st.integers(0, 4)) == 0
    request.source.path = str(w.sequence if sequence else w.source)
    if sequence:
        request.sequence_rate = draw(st.sampled_from(["24", "25", "24000/1001"]))
    ext = draw(st.sampled_from([".mov", ".mkv", "", ".mp4"]))
    request.output_path = str(folder / f"o{ext}")
    request.codec = draw(st.sampled_from({".mov": ["", "prores_422hq", "prores_4444", "h264"], ".mkv": ["", "ffv1"],
                                          "": ["", "png"], ".mp4": ["", "h264"]}[ext]))
    if not op.uses_keyframes and draw(st.booleans()):
        start = draw(st.integers(0, FRAMES - 1))
        request.range.frames.start, request.range.frames.end = start, draw(st.integers(start + 1, FRAMES))
    if op.mask == engine_pb2.MASK_USE_REQUIRED or (op.mask == engine_pb2.MASK_USE_OPTIONAL and draw(st.booleans())):
        request.mask.path = str(draw(st.sampled_from([w.mask, w.masks])))
    if op.uses_keyframes:
        request.keyframes.add(frame=draw(st.integers(0, FRAMES - 1)), edited=engine_pb2.MediaRef(path=str(w.image)))
    groups: dict[str, list[engine_pb2.ParamDescriptor]] = {}
    for p in op.params:
        if p.exclusive_group:
            groups.setdefault(p.exclusive_group, []).append(p)
        elif p.required or draw(st.booleans()):
            request.params[p.name].CopyFrom(draw(_good_param(w, p)))
    for members in groups.values():
        chosen = draw(st.sampled_from(members))
        request.params[chosen.name].CopyFrom(draw(_good_param(w, chosen)))
    request.device = draw(st.sampled_from(["", "auto", "cpu"]))
    # -- spoilt
    if "op" in spoil:
        request.op = draw(ODD_TEXT)
    if "source" in spoil:
        request.source.CopyFrom(draw(_odd_media_ref(w)))
    if "output_path" in spoil:
        request.output_path = draw(_odd_output(w, folder))
    if "codec" in spoil:
        request.codec = draw(st.one_of(st.sampled_from(w.codecs), ODD_TEXT))
    if "range" in spoil:
        if draw(st.booleans()):
            request.range.frames.start, request.range.frames.end = draw(INTEGERS), draw(INTEGERS)
        else:
            request.range.timecodes.start = draw(st.one_of(st.just("01:00:00:00"), ODD_TEXT))
            request.range.timecodes.end = draw(st.one_of(st.just("01:00:00:02"), ODD_TEXT))
    if "mask" in spoil:
        if draw(st.booleans()):
            request.mask.CopyFrom(draw(_odd_media_ref(w)))
        else:
            request.ClearField("mask")
    if "mask_frame" in spoil:
        request.mask_frame = draw(INTEGERS)
    if "keyframes" in spoil:
        request.ClearField("keyframes")
        for _ in range(draw(st.integers(0, 2))):
            edited = draw(st.one_of(st.just(engine_pb2.MediaRef(path=str(w.image))), _odd_media_ref(w)))
            request.keyframes.add(frame=draw(INTEGERS), edited=edited)
    if "params" in spoil and op.params:
        p = draw(st.sampled_from(list(op.params)))
        request.params[p.name].CopyFrom(draw(_odd_param(w, p)))
    if "unknown_param" in spoil:
        request.params[draw(ODD_TEXT)].CopyFrom(engine_pb2.ParamValue(number_value=1.0))
    if "device" in spoil:
        request.device = draw(ODD_TEXT)
    if "sequence_rate" in spoil:
        request.sequence_rate = draw(st.one_of(st.sampled_from(["1e308", "1/0", "0", "-25", "1e-308", "nan",
                                                                "10000000", "1/1000000"]), ODD_TEXT))
    if "sequence_start_timecode" in spoil:
        request.sequence_start_timecode = draw(ODD_TEXT)
    return request


# ------------------------------------------------------------------ checks


def _snapshot(w: World) -> dict[str, tuple[int, int]]:
    """Every file and folder under the test's root but the engine's own bookkeeping."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(w.root):
        rel = os.path.relpath(dirpath, w.root)
        if rel == "state":  # not into the engine's scratch and logs (thousands of folders by the end)
            dirnames[:] = [d for d in dirnames if d not in ("work", "logs")]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if rel == "state" and (name.startswith("jobs.sqlite3") or name in ("e.sock", "work", "logs")):
                continue
            info = os.lstat(path)
            seen[os.path.relpath(path, w.root)] = (info.st_size, info.st_mtime_ns)
    return seen


def _assert_clear_refusal(error: grpc.RpcError, *, prefix: str = "edit.") -> None:
    details = error.details() or ""
    # this world's store has no weights: an op that needs a model (replace, or a generative backend) is
    # refused as the machine's state, with the command that provides them, not as a bad request
    allowed = CLIENT_ERRORS | ({grpc.StatusCode.FAILED_PRECONDITION} if "needs weights: retakes models" in details
                               else set())
    assert error.code() in allowed, (error.code(), details[:400])
    assert "Traceback" not in details and 'File "' not in details, details[:400]
    assert len(details.encode()) < 4000
    field = field_of(error)
    assert field and field.startswith(prefix), (field, details[:200])


def _wait(w: World, job_id: str, timeout: float = 120.0) -> engine_pb2.Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = w.stub.GetJob(engine_pb2.GetJobRequest(job_id=job_id), timeout=30)
        if job.state in (engine_pb2.JOB_STATE_SUCCEEDED, engine_pb2.JOB_STATE_FAILED, engine_pb2.JOB_STATE_CANCELLED):
            return job
        time.sleep(0.05)
    w.stub.CancelJob(engine_pb2.CancelJobRequest(job_id=job_id), timeout=30)
    raise AssertionError(f"job {job_id} did not end within {timeout} s")


def _check_success(w: World, request: engine_pb2.EditRequest, job: engine_pb2.Job) -> None:
    """A job that ran was a request worth running: no number in it was NaN or infinite, and it
    wrote its frames exactly where its output path resolves to, inside the test's folders."""
    for name, value in request.params.items():
        if value.WhichOneof("kind") == "number_value":
            assert math.isfinite(value.number_value), f"params.{name}={value.number_value} was accepted"
    (written,) = job.result.outputs
    path = Path(written.path)
    assert path.exists() and job.result.frames_written > 0
    given = Path(request.output_path).expanduser()
    expected = (given if given.is_absolute() else w.engine.config.outputs_dir / given).resolve()
    assert path == expected, (path, expected)
    assert path.is_relative_to(w.root / "out") or path.is_relative_to(w.engine.config.outputs_dir.resolve()) \
        or path == w.existing or path.is_relative_to(w.empty_dir), path


def _inputs_unchanged(w: World) -> None:
    for path, digest in w.inputs.items():
        assert _sha(path) == digest, f"input {path} was modified"


@pytest.fixture(scope="module")
def tally() -> Iterator[dict[str, int]]:
    """How the examples ended: a property test that only ever saw refusals would prove little."""
    counts: dict[str, int] = {}
    yield counts
    assert counts.get("succeeded", 0) >= 3, counts
    assert counts.get("refused", 0) >= 10, counts


def _reset(w: World) -> None:
    """Between examples: no job of an earlier one still running (one that failed half-way may
    have left it), and the existing output as it was before any example replaced it."""
    active = [engine_pb2.JOB_STATE_QUEUED, engine_pb2.JOB_STATE_RUNNING]
    for job in w.stub.ListJobs(engine_pb2.ListJobsRequest(states=active), timeout=30).jobs:
        _wait(w, job.id)
    if w.existing.is_dir():
        shutil.rmtree(w.existing)
    if not w.existing.exists() or w.existing.read_bytes() != EARLIER:
        w.existing.write_bytes(EARLIER)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_edit_request_is_refused_clearly_or_run(world, tally, data):
    w = world
    _reset(w)
    request = data.draw(edit_requests(w), label="request")
    preview = data.draw(st.integers(0, 4), label="preview") == 0
    before = _snapshot(w)
    jobs_before = len(w.stub.ListJobs(engine_pb2.ListJobsRequest(limit=10_000), timeout=30).jobs)
    try:
        if preview:
            frame = data.draw(st.one_of(st.integers(0, FRAMES - 1), INTEGERS), label="frame")
            reply = w.stub.Preview(engine_pb2.PreviewRequest(edit=request, frame=frame), timeout=120)
            assert reply.width == W and reply.height == H and reply.image
            tally["previewed"] = tally.get("previewed", 0) + 1
            return
        job = w.stub.SubmitEdit(engine_pb2.SubmitEditRequest(edit=request), timeout=60)
    except grpc.RpcError as error:
        _assert_clear_refusal(error, prefix="" if preview else "edit.")
        assert len(w.stub.ListJobs(engine_pb2.ListJobsRequest(limit=10_000), timeout=30).jobs) == jobs_before
        assert _snapshot(w) == before, "a refused request wrote something"
        tally["refused"] = tally.get("refused", 0) + 1
        return
    finally:
        _inputs_unchanged(w)
    ended = _wait(w, job.id)
    output = Path(ended.request.output_path)
    if ended.state == engine_pb2.JOB_STATE_SUCCEEDED:
        _check_success(w, request, ended)
        tally["succeeded"] = tally.get("succeeded", 0) + 1
    else:
        assert ended.state == engine_pb2.JOB_STATE_FAILED
        assert ended.error.field and "Traceback" not in ended.error.message, ended.error
        from google.rpc import code_pb2

        assert code_pb2.Code.Name(ended.error.code) in CLIENT_ERROR_NAMES, (ended.error.code, ended.error.message)
        after = _snapshot(w)
        changed = sorted(k for k in set(after) | set(before) if after.get(k) != before.get(k))
        assert not changed, f"a failed job changed {changed} (output {output})"
        tally["failed clearly"] = tally.get("failed clearly", 0) + 1
    _inputs_unchanged(w)


def _valid_request(w: World, op: engine_pb2.OpDescriptor) -> engine_pb2.EditRequest:
    """The simplest valid request for `op`: every required input, the first choice of each group."""
    request = engine_pb2.EditRequest(op=op.name, source=engine_pb2.MediaRef(path=str(w.source)),
                                     output_path=str(w.fresh_dir() / "o.mkv"))
    if op.mask == engine_pb2.MASK_USE_REQUIRED:
        request.mask.path = str(w.mask)
    if op.uses_keyframes:
        request.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(w.image)))
    groups = set()
    for p in op.params:
        if p.required or (p.exclusive_group and p.exclusive_group not in groups):
            groups.add(p.exclusive_group)
            request.params[p.name].CopyFrom(_first_good(w, p))
    return request


def _first_good(w: World, p: engine_pb2.ParamDescriptor) -> engine_pb2.ParamValue:
    if p.type == engine_pb2.PARAM_TYPE_PATH:
        return engine_pb2.ParamValue(text_value=str(w.plate))
    if p.choices:
        return engine_pb2.ParamValue(text_value=p.choices[0])
    if p.type == engine_pb2.PARAM_TYPE_COLOR:
        return engine_pb2.ParamValue(text_value="#FF8800")
    if p.type == engine_pb2.PARAM_TYPE_INTEGER:
        return engine_pb2.ParamValue(int_value=int(p.minimum) if p.HasField("minimum") else 0)
    if p.type == engine_pb2.PARAM_TYPE_NUMBER:
        return engine_pb2.ParamValue(number_value=p.minimum if p.HasField("minimum") else 0.0)
    return engine_pb2.ParamValue(text_value="x")


#: the values that have broken parameters before: every one of them goes to every parameter
SWEEP = [
    engine_pb2.ParamValue(number_value=float("nan")), engine_pb2.ParamValue(number_value=float("inf")),
    engine_pb2.ParamValue(number_value=float("-inf")), engine_pb2.ParamValue(number_value=1e308),
    engine_pb2.ParamValue(number_value=-1e308), engine_pb2.ParamValue(number_value=1e6),
    engine_pb2.ParamValue(number_value=-1.0), engine_pb2.ParamValue(int_value=2**31 - 1),
    engine_pb2.ParamValue(int_value=2**63 - 1), engine_pb2.ParamValue(int_value=-(2**63)),
    engine_pb2.ParamValue(int_value=100_000), engine_pb2.ParamValue(text_value="nan"),
    engine_pb2.ParamValue(text_value="9" * 5000), engine_pb2.ParamValue(text_value="\0"),
    engine_pb2.ParamValue(text_value=MEGABYTE), engine_pb2.ParamValue(text_value=""),
    engine_pb2.ParamValue(bool_value=True), engine_pb2.ParamValue(),
]


def _run_one(w: World, request: engine_pb2.EditRequest) -> str:
    """Submits `request`; checks the answer as the property test does; returns how it ended.
    Its output folder goes afterwards: the snapshots would otherwise walk every earlier one."""
    how = _submit_and_check(w, request)
    shutil.rmtree(w.root / "out", ignore_errors=True)
    return how


def _submit_and_check(w: World, request: engine_pb2.EditRequest) -> str:
    _reset(w)
    before = _snapshot(w)
    try:
        job = w.stub.SubmitEdit(engine_pb2.SubmitEditRequest(edit=request), timeout=60)
    except grpc.RpcError as error:
        _assert_clear_refusal(error)
        assert _snapshot(w) == before, "a refused request wrote something"
        return "refused"
    ended = _wait(w, job.id, timeout=60)
    if ended.state == engine_pb2.JOB_STATE_SUCCEEDED:
        _check_success(w, request, ended)
        return "succeeded"
    from google.rpc import code_pb2

    assert code_pb2.Code.Name(ended.error.code) in CLIENT_ERROR_NAMES and ended.error.field, ended.error
    return "failed clearly"


def test_every_parameter_of_every_op_takes_the_values_that_broke_them(world):
    """Deterministic, exhaustive where the property test samples: each of SWEEP given to each
    parameter the capabilities publish, the rest of the request valid."""
    w = world
    ended: dict[str, int] = {}
    for op in w.ops:
        for p in op.params:
            for value in SWEEP:
                request = _valid_request(w, op)
                request.params[p.name].CopyFrom(value)
                how = _run_one(w, request)
                ended[how] = ended.get(how, 0) + 1
        _inputs_unchanged(w)
    assert ended.get("refused", 0) > 0 and ended.get("succeeded", 0) > 0, ended


def _field_cases(w: World) -> Iterator[tuple[str, engine_pb2.EditRequest]]:
    """(what, request): each value that broke a request field, in a request otherwise valid."""
    ops = {op.name: op for op in w.ops}
    relight, recolor, propagate = ops["relight"], ops["recolor"], ops["propagate"]
    ints = [0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63)]

    def base(op: engine_pb2.OpDescriptor = relight) -> engine_pb2.EditRequest:
        return _valid_request(w, op)

    for text in ODD_STRINGS:
        for name in ("op", "codec", "device", "decode", "tracker", "tracker_model", "sequence_start_timecode"):
            request = base()
            setattr(request, name, text)
            if name == "sequence_start_timecode":
                request.source.path, request.sequence_rate = str(w.sequence), "24"
            yield f"{name}={text[:20]!r}", request
        request = base()
        request.source.path, request.sequence_rate = str(w.sequence), text
        yield f"sequence_rate={text[:20]!r}", request
        if text:
            request = base()
            request.params[text].number_value = 1.0
            yield f"params key {text[:20]!r}", request
        for start, end in ((text, "01:00:00:02"), ("01:00:00:00", text)):
            request = base()
            request.range.timecodes.start, request.range.timecodes.end = start, end
            yield f"range timecodes {start[:20]!r}-{end[:20]!r}", request
        request = base()
        request.source.upload_sha256 = text
        yield f"source upload {text[:20]!r}", request
    for rate in ("1e308", "1/0", "0", "-25", "1e-308", "10000000", "1/1000000", "1000", "1", "0.5"):
        request = base()
        request.source.path, request.sequence_rate = str(w.sequence), rate
        yield f"sequence_rate={rate}", request
    for path in odd_paths(w):
        request = base()
        request.source.path = path
        yield f"source {path[:40]!r}", request
        request = base(recolor)
        request.mask.path = path
        yield f"mask {path[:40]!r}", request
        request = base(propagate)
        request.keyframes[0].edited.path = path
        yield f"edited {path[:40]!r}", request
    for output in odd_outputs(w, w.fresh_dir()):
        for overwrite in (False, True):
            request = base()
            request.output_path, request.overwrite = output, overwrite
            yield f"output {output[:40]!r} overwrite={overwrite}", request
    request = base()
    request.source.path, request.output_path = str(w.sequence), str(w.sequence / "out")
    yield "output inside the source sequence", request
    request = base(recolor)
    request.mask.path, request.output_path = str(w.masks), str(w.masks / "o.mov")
    yield "output inside the mask folder", request
    for start in ints + [2]:
        for end in ints + [3]:
            request = base()
            request.range.frames.start, request.range.frames.end = start, end
            yield f"range {start}:{end}", request
    for frame in ints:
        request = base(recolor)
        request.mask_frame = frame
        yield f"mask_frame {frame}", request
        request = base(propagate)
        request.keyframes[0].frame = frame
        yield f"keyframe {frame}", request
    request = base(propagate)
    request.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(w.image)))
    yield "a keyframe given twice", request
    request = base()
    request.seed = 2**64 - 1
    yield "the largest seed", request


def test_every_request_field_takes_the_values_that_broke_it(world):
    """Deterministic and exhaustive where the property test samples: each hostile value of each
    EditRequest field, the rest of the request valid."""
    w = world
    ended: dict[str, int] = {}
    for what, request in _field_cases(w):
        try:
            how = _run_one(w, request)
        except AssertionError as failure:
            raise AssertionError(f"{what}: {failure}") from None
        ended[how] = ended.get(how, 0) + 1
    _inputs_unchanged(w)
    assert ended.get("refused", 0) > 100 and ended.get("succeeded", 0) > 0, ended


# ------------------------------------------------------------------ the other RPCs


JOB_IDS = st.one_of(ODD_TEXT, st.sampled_from(["", "0" * 32, "../../etc/passwd"]))


@settings(PROPERTY_SETTINGS, max_examples=int(os.environ.get("RETAKES_PROPERTY_EXAMPLES", "60")))
@given(data=st.data())
def test_any_job_or_upload_call_is_answered_clearly(world, data):
    w = world
    call = data.draw(st.sampled_from(["get", "cancel", "watch", "list", "download", "status", "upload"]))
    before = _snapshot(w)
    try:
        if call == "get":
            w.stub.GetJob(engine_pb2.GetJobRequest(job_id=data.draw(JOB_IDS)), timeout=30)
        elif call == "cancel":
            w.stub.CancelJob(engine_pb2.CancelJobRequest(job_id=data.draw(JOB_IDS)), timeout=30)
        elif call == "watch":
            list(w.stub.WatchJob(engine_pb2.WatchJobRequest(job_id=data.draw(JOB_IDS)), timeout=30))
        elif call == "list":
            states = data.draw(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=3))
            limit = data.draw(st.integers(-(2**31), 2**31 - 1))
            w.stub.ListJobs(engine_pb2.ListJobsRequest(states=states, limit=limit), timeout=30)
        elif call == "download":
            request = engine_pb2.DownloadResultRequest(job_id=data.draw(JOB_IDS), path=data.draw(ODD_TEXT),
                                                       offset=data.draw(INTEGERS))
            list(w.stub.DownloadResult(request, timeout=30))
        elif call == "status":
            w.stub.GetUploadStatus(engine_pb2.GetUploadStatusRequest(sha256=data.draw(JOB_IDS)), timeout=30)
        else:
            chunk = engine_pb2.UploadChunk(
                sha256=data.draw(st.one_of(st.just("a" * 64), JOB_IDS)), file_name=data.draw(ODD_TEXT),
                total_size=data.draw(INTEGERS), offset=data.draw(INTEGERS), data=data.draw(st.binary(max_size=64)))
            w.stub.UploadMedia(iter([chunk]), timeout=30)
    except grpc.RpcError as error:
        details = error.details() or ""
        assert error.code() in CLIENT_ERRORS | {grpc.StatusCode.FAILED_PRECONDITION}, (error.code(), details[:300])
        assert "Traceback" not in details and len(details.encode()) < 4000
        assert field_of(error), details[:200]
        if call != "upload":
            assert _snapshot(w) == before
