"""Undo and redo for every change the editor makes: strokes, mask commands, keyframes, op settings.

One `QUndoStack` (Qt's own, so Ctrl+Z / Ctrl+Shift+Z and the Edit menu's texts come with it) holds
every change in the order it was made. A change is recorded *after* it was applied, as a pair of
callables that put the state back (`undo`) and forward again (`redo`); recording never re-applies it.

Changes are tied to the clip they were made on: a step of another clip than the open one is skipped
(`QUndoCommand.setObsolete`), and reopening a clip starts a fresh history, as Resolve's page-level undo
does. While a step runs, `replaying` is set, so handlers that would record a change (a settings control
moved by undo) record nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

UNDO_LIMIT = 500  # steps; masks are kept compressed (a binary mask packs to a few KB), so this is cheap


class _Step(QUndoCommand):
    def __init__(self, history: History, text: str, undo: Callable[[], None], redo: Callable[[], None],
                 merge_key: str = "") -> None:
        super().__init__(text)
        self._history, self._undo, self._redo = history, undo, redo
        self._first = True  # pushed after the change was made: the first redo is the change itself
        self.merge_key = merge_key

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._history._replay(self._redo)

    def undo(self) -> None:
        self._history._replay(self._undo)

    def id(self) -> int:
        return 1 if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        # Changes to one setting in a row (each step of a spin box) are one step back, not twenty.
        if not isinstance(other, _Step) or other.merge_key != self.merge_key:
            return False
        self._redo = other._redo
        self.setText(other.text())  # the step says what it now does (the prompt's last words)
        return True


class History(QObject):
    changed = Signal()  # after a push, an undo or a redo: the panel refreshes what it shows

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.stack.setUndoLimit(UNDO_LIMIT)
        self.replaying = False

    def record(self, text: str, undo: Callable[[], None], redo: Callable[[], None], *, merge_key: str = "") -> None:
        """A change already made: `undo` puts it back, `redo` makes it again. Ignored while replaying."""
        if self.replaying:
            return
        self.stack.push(_Step(self, text, undo, redo, merge_key))
        self.changed.emit()

    def _replay(self, fn: Callable[[], None]) -> None:
        self.replaying = True
        try:
            fn()
        finally:
            self.replaying = False
        self.changed.emit()

    def undo(self) -> str:
        """Undoes the last change; returns what it was ("" when there is none)."""
        text = self.stack.undoText()
        if self.stack.canUndo():
            self.stack.undo()
        return text

    def redo(self) -> str:
        text = self.stack.redoText()
        if self.stack.canRedo():
            self.stack.redo()
        return text

    def clear(self) -> None:
        self.stack.clear()
        self.changed.emit()
