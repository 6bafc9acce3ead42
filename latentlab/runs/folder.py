"""A run folder is written by one process at a time: an advisory lock, stale temporary files removed on entry.

The lock is ``.latentlab.lock`` in the folder, held with ``flock`` (released by the kernel when
the process dies, so a killed run never leaves the folder locked); the file records the holder's
PID, start time and command so that a refused second run can say who holds it. Entering the same
folder again from the process that holds it is allowed (nested ``with``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from latentlab.errors import RunLockedError
from latentlab.files import remove_stale_temp_files

LOCK_NAME = ".latentlab.lock"
_HELD: dict[Path, list] = {}  # folder -> [open lock file, depth] held by this process

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


def _holder(lock: Path) -> str:
    try:
        info = json.loads(lock.read_text() or "{}")
    except (OSError, ValueError):
        return "another process"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("started", 0)))
    command = f", {info['command']}" if info.get("command") else ""
    return f"PID {info.get('pid', '?')}, started {started}{command}"


def _try_lock(handle) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:  # pragma: no cover
        return False
    return True  # pragma: no cover


class RunFolder:
    """Hold ``path`` for one run: ``with RunFolder(out): ...``; a second process entering it gets :class:`RunLockedError`.

    On entry the folder is created if needed and temporary files a killed writer left there are
    removed. On exit a folder this entry created and that holds nothing but the lock is removed
    again, so a run stopped before writing anything leaves nothing behind.
    """

    def __init__(self, path: str | os.PathLike, command: str | None = None):
        self.path = Path(path)
        self.command = " ".join(sys.argv) if command is None else command
        self._created = False

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_NAME

    def __enter__(self) -> RunFolder:
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(f"run folder {str(self.path)!r} is a file; give a folder for the run's outputs")
        key = self.path.resolve()
        if key in _HELD:
            _HELD[key][1] += 1
            return self
        self._created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+")  # noqa: SIM115 - kept open while the lock is held
        if not _try_lock(handle):
            handle.close()
            raise RunLockedError(f"run folder {str(self.path)!r} is in use by another latentlab run ({_holder(self.lock_path)}); "
                                 f"wait for it to finish, or write to another folder")
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "started": time.time(), "command": self.command}))
        handle.flush()
        _HELD[key] = [handle, 1]
        remove_stale_temp_files(self.path)
        return self

    def __exit__(self, *exc) -> None:
        key = self.path.resolve()
        held = _HELD.get(key)
        if held is None:
            return
        held[1] -= 1
        if held[1]:
            return
        del _HELD[key]
        empty = self._created and all(p.name == LOCK_NAME for p in self.path.iterdir())
        if empty:
            self.lock_path.unlink(missing_ok=True)
        held[0].close()  # releases the lock
        if empty:
            try:
                self.path.rmdir()
            except OSError:
                pass
