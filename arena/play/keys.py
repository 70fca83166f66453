"""Keyboard input for real-time play: raw, non-blocking key reads from a terminal, and key names.

:class:`TerminalKeys` puts the terminal in cbreak mode (keys arrive one by one, no echo; Ctrl-C
still interrupts) and :meth:`TerminalKeys.read` returns the keys pressed since the last read as
a list of names: single characters, ``up``/``down``/``left``/``right`` for the arrows, ``ctrl-d``
for Ctrl-D. :func:`discard_typed_keys` throws away what was typed while something slow loaded.
"""

from __future__ import annotations

import os
import select
import sys
from typing import TextIO

ARROWS = {"\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left",
          "\x1bOA": "up", "\x1bOB": "down", "\x1bOC": "right", "\x1bOD": "left"}
CTRL_D = "\x04"


def parse_keys(text: str) -> list[str]:
    """Key names in ``text`` as typed: arrows become ``up``/``down``/``left``/``right``, Ctrl-D
    ``ctrl-d``, Ctrl-C ``ctrl-c``, a lone escape ``escape``, other characters stay themselves."""
    keys: list[str] = []
    i = 0
    while i < len(text):
        for seq, name in ARROWS.items():
            if text.startswith(seq, i):
                keys.append(name)
                i += len(seq)
                break
        else:
            ch = text[i]
            i += 1
            if ch == CTRL_D:
                keys.append("ctrl-d")
            elif ch == "\x03":
                keys.append("ctrl-c")
            elif ch == "\x1b":
                # an unknown escape sequence: skip it whole
                if i < len(text) and text[i] in "[O":
                    i += 1
                    while i < len(text) and not text[i].isalpha() and text[i] != "~":
                        i += 1
                    i += 1
                    continue
                keys.append("escape")
            elif ch in "\r\n":
                keys.append("enter")
            else:
                keys.append(ch)
    return keys


def discard_typed_keys(stream: TextIO | None = None) -> None:
    """Throw away keys typed but not yet read (e.g. during a slow load); no-op off a terminal."""
    stream = stream or sys.stdin
    try:
        if not stream.isatty():
            return
        import termios

        termios.tcflush(stream.fileno(), termios.TCIFLUSH)
    except (OSError, ValueError, ImportError, AttributeError):
        pass


class TerminalKeys:
    """Raw, non-blocking key reads: ``with TerminalKeys() as keys: keys.read()``.

    Raises :class:`OSError` on entry when ``stream`` is not a terminal.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin
        self._saved: list | None = None
        self._pending = ""

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        if not self.stream.isatty():
            raise OSError("real-time play needs a terminal: stdin is not a TTY")
        fd = self.stream.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        if self._saved is not None:
            try:
                termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            except (OSError, termios.error):
                pass
            self._saved = None

    def read_raw(self, timeout: float = 0.0) -> str:
        """Characters typed since the last read; waits up to ``timeout`` seconds for the first."""
        fd = self.stream.fileno()
        chunks = []
        wait = max(0.0, timeout)
        while select.select([fd], [], [], wait)[0]:
            data = os.read(fd, 256)
            if not data:  # the terminal went away: behave as Ctrl-D
                chunks.append(CTRL_D)
                break
            chunks.append(data.decode(errors="ignore"))
            wait = 0.0
        return "".join(chunks)

    def read(self, timeout: float = 0.0) -> list[str]:
        """Key names typed since the last read (see :func:`parse_keys`)."""
        text = self._pending + self.read_raw(timeout)
        self._pending = ""
        # An escape sequence cut in two by the read: keep the start for the next read.
        if text.endswith("\x1b") or text.endswith("\x1b[") or text.endswith("\x1bO"):
            cut = text.rfind("\x1b")
            text, self._pending = text[:cut], text[cut:]
        return parse_keys(text)
