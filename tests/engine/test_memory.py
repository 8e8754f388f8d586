"""engine.memory: the render's many threads share a few malloc arenas, whatever the core count."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# A fresh process (glibc fixes its arena limit once): import the renderer, then let 32 threads
# each allocate and free frame-sized buffers, and count the arenas malloc_info reports.
_CHILD = r"""
import ctypes, os, sys, tempfile, threading
import retakes.engine.render  # noqa: F401  (limits the arenas at import)
import numpy as np
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
libc.fclose.argtypes = (ctypes.c_void_p,)
go = threading.Barrier(32)
def work():
    go.wait()  # all alive at once: each needs an arena of its own unless limited
    for _ in range(20):
        a = np.ones((540, 960, 3), np.float32)
        del a
threads = [threading.Thread(target=work) for _ in range(32)]
for t in threads: t.start()
for t in threads: t.join()
path = os.path.join(tempfile.mkdtemp(), "info.xml")
fp = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, fp)
libc.fclose(fp)
print(open(path).read().count("<heap nr="))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_many_render_threads_share_a_few_arenas():
    from retakes.engine.memory import ARENA_MAX

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, check=True, capture_output=True, text=True)
    assert 1 <= int(out.stdout.strip()) <= ARENA_MAX


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_without_the_limit_the_same_threads_spread_over_more_arenas():
    """The control: the test above would pass for nothing if these threads never made arenas."""
    env = dict(os.environ, MALLOC_ARENA_MAX="0")  # set: engine.memory leaves glibc's default
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, check=True, capture_output=True, text=True)
    assert int(out.stdout.strip()) > 4  # more than any cap the engine would choose


# A fresh process: free one 1080p frame, then hold another, and say whether glibc mapped the
# second on its own (mallinfo2's hblkhd: bytes in blocks mapped apart) or took it from a heap.
_FRAME_CHILD = r"""
import ctypes, sys
import numpy as np
if sys.argv[1] == "render":  # a short render with this many chunk workers, first
    import tempfile
    from pathlib import Path
    from retakes.engine.media.synthetic import write_index_clip
    from retakes.engine.plan import plan_edit
    from retakes.engine.render import render_plan
    from retakes.v1 import engine_pb2
    class Hooks:
        def report(self, *a): pass
        def check_cancelled(self): pass
        def record_chunk(self, *a): pass
        def finished_chunks(self): return {}
    root = Path(tempfile.mkdtemp())
    clip = write_index_clip(root / "c.mov", frames=8, rate=25, size=(64, 48), codec="prores_422hq", audio=False)
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(clip)), output_path=str(root / "o.mov"),
                                     op="relight")
    request.params["look"].text_value = "overcast"
    render_plan(plan_edit(request), root / "work", Hooks(), chunk_frames=4, workers=int(sys.argv[2]))
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                     "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
first = np.ones((1080, 1920, 3), np.uint8)
del first  # glibc's own rule raises its threshold to this block's size here
second = np.ones((1080, 1920, 3), np.uint8)
print(libc.mallinfo2().hblkhd >= second.nbytes)
"""


def _frame_mapped_apart(*args: str) -> bool:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    out = subprocess.run([sys.executable, "-c", _FRAME_CHILD, *args], env=env, check=True, capture_output=True,
                         text=True)
    return out.stdout.strip() == "True"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_after_a_render_with_several_workers_frames_are_mapped_apart_not_kept_in_a_heap():
    """Chunks rendered at once fragment a heap that holds frames, and it grows with the clip."""
    assert _frame_mapped_apart("render", "2")
    assert not _frame_mapped_apart("bare")  # the control: glibc alone puts the second frame in a heap


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_one_worker_keeps_glibcs_default_which_faults_fewer_pages_in():
    assert not _frame_mapped_apart("render", "1")
