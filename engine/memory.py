"""How the engine process asks glibc's allocator to behave.

glibc malloc gives threads their own arenas, up to 8 per core. A render starts many
short-lived threads (per chunk: a decoder's frame threads, prefetch, the encoder's own
threads, an op worker), and each new thread may be handed a different arena. Frame-sized
buffers (numpy arrays, codec frames) come from those arenas' heaps: glibc's dynamic mmap
threshold rises to the size of the first big buffer freed (up to 32 MiB), so after the
first frame they are no longer mmapped. Memory freed in an arena stays with that arena
(fragmented between live blocks, or up to twice that threshold at its top), to be reused
only by the threads attached to it. With several chunks in flight, more and more arenas
each grew to their own high-water mark as the clip went on: peak memory grew with clip
length, the more so the more cores (arenas) the machine has (bench/memory.py; measured
with mallinfo2: the bytes in use stayed the same, the free bytes held by the arenas grew).

Limiting the arenas to a few, whatever the core count, bounds that: freed frame buffers
are reused by whichever thread needs one next. The heavy loops (FFmpeg, OpenCV, numpy)
allocate a few large blocks per frame, not many small ones, so sharing arenas costs no
measurable speed. Fixing the mmap threshold at 128 KiB instead (every buffer from a few
rows of pixels up mmapped and returned at once) also made memory flat, but halved
propagate's speed on the 2-core CPU: each buffer is then page-faulted in again.

Two arenas still grew on the H100 box, where 4 chunks, their decoders and propagate's
analysis allocate at once (2737 -> 2893 MiB from 300 to 1800 frames at 1080p, over 3e9
bytes). Fixing the threshold at 4 MiB, so that only whole frames and their float copies are
mapped apart and everything smaller stays in the arenas, made it flat: 2659 / 2535 MiB
against 2794 / 2876 for the same engine without, in one session (bench/gpu/run.sh
abmemory). One arena instead peaked higher (2997 / 2859). The pin costs page faults: about
5% of propagate there, but 12-29% of relight on a 2-core CPU, so the renderer pins it only
where it renders several chunks at once (engine.render), which is where the arenas grew.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: glibc's mallopt() parameter number for the arena limit (malloc.h: M_ARENA_MAX)
_M_ARENA_MAX = -8
#: arenas for the whole process. 4 was flat while analysis and render ran one after the
#: other; with propagate's analysis streaming beside the render (engine.analysis) more threads
#: allocate at once and 4 arenas grew again (960x540, 1 worker: 308 -> 361 MiB from 200 to 800
#: frames); 2 kept it flat (295 / 295) at the same speed (bench/edit_speed.py, alternated).
ARENA_MAX = 2

#: glibc's mallopt() parameter number for the mmap threshold (malloc.h: M_MMAP_THRESHOLD)
_M_MMAP_THRESHOLD = -3
#: Blocks from this size up are mapped on their own and unmapped when freed: a 1080p RGB frame
#: is 6 MB, a 720p one 2.8 MB (those stay in the arenas, where reuse costs no page faults).
FRAME_BUFFER_BYTES = 4 << 20

#: the mallopt() parameters this process has set
_taken: set[int] = set()


def limit_arenas(count: int = ARENA_MAX) -> bool:
    """Caps glibc's arenas at `count`; True if the allocator took it.

    Must run before the process has started many threads: glibc fixes its limit when
    it first needs a ninth arena. MALLOC_ARENA_MAX in the environment takes precedence.
    Does nothing off glibc (macOS, Windows, musl).
    """
    return _set_once(_M_ARENA_MAX, count, "MALLOC_ARENA_MAX")


def map_frame_buffers_apart(threshold: int = FRAME_BUFFER_BYTES) -> bool:
    """Pins glibc's mmap threshold at `threshold` bytes; True if the allocator took it.

    Setting it at all stops glibc from raising it to the size of each big block freed, which
    is what let frames into the arenas. MALLOC_MMAP_THRESHOLD_ in the environment takes
    precedence. Does nothing off glibc.
    """
    return _set_once(_M_MMAP_THRESHOLD, threshold, "MALLOC_MMAP_THRESHOLD_")


def _set_once(param: int, value: int, variable: str) -> bool:
    """mallopt(param, value), once per process, unless glibc's own `variable` is set."""
    if param in _taken:
        return True
    if variable in os.environ or not _mallopt(param, value):
        return False
    _taken.add(param)
    return True


def _mallopt(param: int, value: int) -> bool:
    """glibc's mallopt(param, value); False off glibc (macOS, Windows, musl) or if refused."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(param, value) == 1
