"""Helpers for the gateway tests: a site (engine + gateway) and real HTTP / WebSocket clients."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import aiohttp

from retakes.bridge.gateway.server import RunningGateway
from retakes.engine.config import EngineConfig
from retakes.engine.service.server import RunningEngine
from retakes.engine.timecode import FrameRate

RATE = FrameRate(Fraction(25))
SIZE = (96, 64)


@dataclass
class Reply:
    status: int
    headers: dict
    raw: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.raw)


@dataclass
class Site:
    gateway: RunningGateway
    engine: RunningEngine
    media: Path
    long_media: Path
    root: Path
    token: str
    extra: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.gateway.url + path

    def request(self, method: str, path: str, *, body: dict | bytes | None = None, token: str | None = "",
                headers: dict | None = None) -> Reply:
        """One HTTP request; `token=""` sends the right one, None sends none."""
        return asyncio.run(self._request(method, path, body, token, headers or {}))

    async def _request(self, method, path, body, token, headers) -> Reply:
        headers = dict(headers)
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        kwargs = {"data": body} if isinstance(body, bytes) else {"json": body} if body is not None else {}
        async with aiohttp.ClientSession() as session, \
                session.request(method, self.url(path), headers=headers, **kwargs) as response:
            return Reply(response.status, dict(response.headers), await response.read())

    def clip(self, media: Path | None = None, start: int = 2, end: int = 10, **extra) -> dict:
        """A clip as the Premiere panel sends it: V1 of a 25 fps sequence starting at 10:00:00:00."""
        record_start = 900000 + 50 + start
        return {"name": "shot", "mediaPath": str(media or self.media), "sourceRate": "25",
                "sourceRange": {"start": start, "end": end}, "timelineName": "Sequence 01",
                "timelineRate": "25", "timelineStartFrame": 900000, "track": 1,
                "record": {"start": record_start, "end": record_start + end - start}, "host": "premiere", **extra}

    def watch(self, job_id: str, *, first: str | None = None, headers: dict | None = None) -> list[dict]:
        """Every message the watch socket sends, then its close code as {"close": code}."""
        return asyncio.run(self._watch(job_id, first, headers or {}))

    async def _watch(self, job_id, first, headers) -> list[dict]:
        messages = []
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"{self.gateway.ws_url}/v1/jobs/{job_id}/watch", headers=headers) as ws:
            await ws.send_str(first if first is not None else json.dumps({"token": self.token}))
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    messages.append(json.loads(message.data))
            messages.append({"close": ws.close_code})
        return messages


def engine_config(state: Path) -> EngineConfig:
    return EngineConfig(state_dir=state, socket_path=state / "e.sock", tcp_port=0, chunk_frames=4)
