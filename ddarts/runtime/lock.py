"""One writer per run folder: an advisory lock held for the life of any process that writes it.

The lock is `fcntl.flock` on `<folder>/.ddarts.lock` (`msvcrt.locking` on Windows). The kernel releases it
when the holder dies, however it dies, so a lock left by a dead process is simply taken over; the file's
content (pid and host of the holder) only serves the message a second writer gets.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from ddarts.errors import LockedError, RunFolderError
from ddarts.runtime.folders import LOCK_FILE

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8"))
        return f"process {int(info['pid'])} on {info['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class RunLock:
    """`acquire()` or `with RunLock(folder):`; LockedError names the live holder's pid and host."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self._fd: int | None = None
        self._created = False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "RunLock":
        if self._fd is not None:
            return self
        try:
            self._created = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(f"cannot lock {self.folder}: {exc.strerror or exc}") from None
        for _ in range(100):
            fd = self._open()
            if not _try_lock(fd):
                holder = _holder(fd)
                os.close(fd)
                raise LockedError(f"{self.folder} is being written by {holder}; wait for it to end or stop it "
                                  f"(one writer per run folder)")
            if self._same_file(fd):
                break
            os.close(fd)  # the holder removed the file as we opened it: lock the new one
        else:
            raise RunFolderError(f"cannot lock {self.folder}: its lock file keeps changing")
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode("utf-8")
        try:  # a dead holder's record is replaced: that is the takeover
            os.ftruncate(fd, 0)
            os.write(fd, record)
        except OSError:
            pass  # the lock itself is what counts; the record only improves a second writer's message
        self._fd = fd
        return self

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunFolderError(f"cannot lock {self.folder}: {exc.strerror or exc}") from None

    def _same_file(self, fd: int) -> bool:
        try:
            return os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except OSError:
            return False

    def release(self) -> None:
        """Remove the lock file (while still holding it, so no one locks a removed file), then unlock."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink()
            if self._created and not any(self.folder.iterdir()):  # nothing was written: leave no trace
                self.folder.rmdir()
        except OSError:
            pass
        os.close(fd)  # closing drops the lock

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
