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
measurable speed. Fixing the mmap threshold at 128 KiB instead (every frame buffer mmapped
and returned at once) also made memory flat, but halved propagate's speed on the 2-core
CPU: each buffer is then page-faulted in again.
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

_configured = False


def limit_arenas(count: int = ARENA_MAX) -> bool:
    """Caps glibc's arenas at `count`; True if the allocator took it.

    Must run before the process has started many threads: glibc fixes its limit when
    it first needs a ninth arena. MALLOC_ARENA_MAX in the environment takes precedence.
    Does nothing off glibc (macOS, Windows, musl).
    """
    global _configured
    if _configured:
        return True
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _configured = mallopt(_M_ARENA_MAX, count) == 1
    return _configured
