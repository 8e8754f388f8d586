"""Multi-part upload of one file to Frame.io's presigned part URLs, with progress and retry.

Frame.io hands back N presigned S3 URLs, each with its part size; the parts are the file's
bytes in order. Each part is PUT with `x-amz-acl: private` and the file's media type as
Content-Type, as the upload guide requires even for parts (research/service.md 2.3).

We do this ourselves rather than with the SDK's `FrameioUploader` for three reasons: a part
that fails is retried on its own (with back-off) instead of failing the file, progress is
reported per byte range we know landed, and the part sizes come from the response instead
of being re-derived as ceil(size / parts), which need not match what the server signed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import httpx

ProgressFn = Callable[[int, int], None]  # (bytes uploaded so far, total bytes)


class UploadError(RuntimeError):
    pass


@dataclass(frozen=True)
class Part:
    index: int
    url: str
    offset: int
    size: int


def plan_parts(part_urls: list[tuple[str, int]], file_size: int) -> list[Part]:
    parts, offset = [], 0
    for i, (url, size) in enumerate(part_urls):
        size = min(size, file_size - offset)
        parts.append(Part(i, url, offset, size))
        offset += size
    if offset != file_size:
        raise UploadError(f"the upload URLs cover {offset} bytes but the file has {file_size}")
    return parts


class PartUploader:
    def __init__(
        self,
        *,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        workers: int = 4,
        timeout_s: float = 120.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.workers = workers
        self._client = client or httpx.Client(timeout=timeout_s)

    def upload(
        self,
        path: Path,
        part_urls: list[tuple[str, int]],
        media_type: str,
        on_progress: ProgressFn | None = None,
    ) -> None:
        total = path.stat().st_size
        parts = plan_parts(part_urls, total)
        done, lock = 0, Lock()

        def one(part: Part) -> None:
            nonlocal done
            with path.open("rb") as fh:  # one handle per part: reads never interleave
                fh.seek(part.offset)
                body = fh.read(part.size)
            self._put(part, body, media_type)
            with lock:
                done += part.size
                if on_progress:
                    on_progress(done, total)

        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(parts)))) as pool:
            for future in [pool.submit(one, p) for p in parts]:
                future.result()  # re-raises the first part that ran out of retries

    def _put(self, part: Part, body: bytes, media_type: str) -> None:
        headers = {"x-amz-acl": "private", "Content-Type": media_type}
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                resp = self._client.put(part.url, content=body, headers=headers)
                if resp.status_code < 300:
                    return
                last = f"HTTP {resp.status_code}"
                if resp.status_code < 500 and resp.status_code not in (408, 429):
                    break  # a 403 (expired URL) does not get better by asking again
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(self.backoff_s * (2**attempt))
        raise UploadError(f"part {part.index + 1} ({part.size} bytes) failed: {last}")

    def close(self) -> None:
        self._client.close()
