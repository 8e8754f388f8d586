"""Playhead and J/K/L shuttle, the way NLEs do it: L again goes faster, K stops, J reverses."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SPEED = 8


@dataclass
class Transport:
    first: int = 0  # first source frame of the clip (with handles)
    end: int = 1  # exclusive
    frame: int = 0
    speed: int = 0  # frames per tick multiple; negative plays backwards

    def set_range(self, first: int, end: int) -> None:
        self.first, self.end = first, max(first + 1, end)
        self.frame = min(max(self.frame, self.first), self.end - 1)
        self.speed = 0

    def seek(self, frame: int) -> int:
        self.frame = min(max(frame, self.first), self.end - 1)
        return self.frame

    def step(self, delta: int) -> int:
        self.speed = 0  # stepping a frame is always a stop, as in Resolve
        return self.seek(self.frame + delta)

    def forward(self) -> int:  # L
        self.speed = 1 if self.speed <= 0 else min(self.speed * 2, MAX_SPEED)
        return self.speed

    def reverse(self) -> int:  # J
        self.speed = -1 if self.speed >= 0 else max(self.speed * 2, -MAX_SPEED)
        return self.speed

    def stop(self) -> None:  # K
        self.speed = 0

    def tick(self) -> bool:
        """Advances one playback tick; stops at either end. Returns False once stopped."""
        if not self.speed:
            return False
        target = self.frame + self.speed
        self.seek(target)
        if not self.first <= target < self.end:
            self.speed = 0
        return bool(self.speed)
