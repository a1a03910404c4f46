"""Outputs that are written whole or not at all, checked before any work starts; locks, JSON, hashes.

Every file and folder affectlab writes goes through :func:`atomic_path` or :func:`atomic_folder`: the
content is written under a temporary name beside the target (``.NAME.PID.XXXX.tmp``, so its owner is
known) and renamed onto the target only when complete. A later run removes temporary files and folders
whose owning process is gone (a ``kill -9`` leaves them behind). Only regular files, and folders the
caller may replace, are ever replaced: a device, FIFO or socket at the target is refused.

Without ``overwrite`` an existing target is refused again at the moment of the rename (a hard link for
files, a rename that cannot replace a non-empty folder), so of two runs writing the same output the second
fails instead of silently replacing the first. Every output folder carries :data:`OUTPUT_MARKER`, and
``overwrite`` replaces only folders that carry it: a folder affectlab did not make is never deleted.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from affectlab.errors import AffectlabError

PathLike = str | os.PathLike[str]
LOCK_FILE = ".affectlab.lock"
OUTPUT_MARKER = ".affectlab-output"  # in every folder atomic_folder writes: --overwrite may replace it
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")
_NAME_MAX = 255  # bytes in one path component (ext4, xfs, apfs)
_LINE_PIECE = 1 << 20  # characters read at a time while the rest of an over-long line is dropped
_TEMP_STEM_MAX = 200  # bytes of the target's name kept in a temporary's name (".NAME.PID.XXXXXXXX.tmp")


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def remove_stale_temps(folder: PathLike, name: str | None = None) -> list[Path]:
    """Remove affectlab temporary files/folders in ``folder`` (for target ``name``, or any) whose owner
    process is gone; returns what was removed. Temporaries of live processes are left alone."""
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None or (name is not None and match["name"] != temp_stem(name)):
            continue
        if _pid_alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def temp_stem(name: str) -> str:
    """The target's name as it appears in its temporaries: cut to leave room for the pid and the random
    part, so a target name of up to 255 bytes still has a temporary the file system accepts."""
    encoded = os.fsencode(name)
    return name if len(encoded) <= _TEMP_STEM_MAX else os.fsdecode(encoded[:_TEMP_STEM_MAX])


def _temp_prefix(target: Path) -> str:
    return f".{temp_stem(target.name)}.{os.getpid()}."


def refuse_special(target: PathLike, *, folder: bool = False) -> None:
    """Raise unless ``target`` is absent, a regular file, or (``folder``) a folder: never replace a
    device, FIFO, socket or symlink to one."""
    target = Path(target)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if target.is_symlink():
            raise AffectlabError(f"{target}: is a dangling symbolic link; refusing to write there") from None
        return
    except NotADirectoryError:
        blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), target.parent)
        raise AffectlabError(f"{target}: cannot write ({blocker} is not a folder)") from None
    except OSError as err:
        raise AffectlabError(f"{target}: cannot check the output ({err.strerror})") from None
    if stat.S_ISREG(mode) and not folder:
        return
    if stat.S_ISDIR(mode):
        if folder:
            return
        raise AffectlabError(f"{target}: is a folder; expected a file name")
    if stat.S_ISREG(mode) and folder:
        raise AffectlabError(f"{target}: is a file; expected a folder")
    kind = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFIFO: "a FIFO",
            stat.S_IFSOCK: "a socket"}.get(stat.S_IFMT(mode), "not a regular file")  # fmt: skip
    raise AffectlabError(f"{target}: is {kind}; affectlab writes regular files only")


@contextlib.contextmanager
def atomic_path(target: PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    Nothing is left behind when the body raises, so a crash never leaves a half-written output. An
    existing ``target`` that is not a regular file (a device, FIFO, socket, folder) is refused; without
    ``overwrite`` so is any existing ``target``, checked atomically at the rename.
    """
    target = Path(target)
    refuse_special(target)
    _make_parent(target)
    remove_stale_temps(target.parent, target.name)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():  # mkstemp makes 0600 files: give the output the usual umask-based mode
            tmp_path.chmod(0o666 & ~_umask())
        refuse_special(target)  # checked again: something may have appeared there meanwhile
        if overwrite:
            os.replace(tmp_path, target)
        else:
            _rename_new_file(tmp_path, target)
    except OSError as err:
        raise os_error(target, err) from err
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _appeared(target: Path) -> AffectlabError:
    return AffectlabError(
        f"{target}: was written by another process while this one ran; pass --overwrite to replace it"
    )


def _rename_new_file(tmp: Path, target: Path) -> None:
    """Move ``tmp`` to ``target`` unless ``target`` exists, atomically: a hard link never replaces a file."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise _appeared(target) from None
    except OSError as err:  # a file system without hard links: check, then rename (a tiny window remains)
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(target):
            raise _appeared(target) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


@contextlib.contextmanager
def atomic_folder(target: PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; it replaces ``target`` as a whole on success.

    An existing non-empty ``target`` is refused unless ``overwrite`` and it carries :data:`OUTPUT_MARKER`
    (then nothing of the old folder survives, so no stale file of an earlier run lingers); both are checked
    again at the rename. Nothing is left behind when the body raises.
    """
    target = Path(target)
    check_folder_target(target, overwrite)
    _make_parent(target)
    remove_stale_temps(target.parent, target.name)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        (tmp / OUTPUT_MARKER).write_text("written by affectlab; --overwrite may replace this folder\n")
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700 folders
        if overwrite and target.exists():
            check_folder_target(target, overwrite)  # still affectlab's own folder
            old = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent))
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old)
        else:
            _rename_new_folder(tmp, target)
    except OSError as err:
        raise os_error(target, err) from err
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _rename_new_folder(tmp: Path, target: Path) -> None:
    """Move the folder ``tmp`` to ``target`` unless ``target`` is a non-empty folder or a file; a rename
    cannot replace a non-empty folder, so this holds even when another run finished meanwhile."""
    try:
        os.rename(tmp, target)
    except OSError as err:
        if err.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise _appeared(target) from None
        raise


def check_folder_target(target: PathLike, overwrite: bool) -> None:
    """Raise unless ``target`` may become an output folder: absent, empty, or (``overwrite``) a folder
    affectlab wrote (it carries :data:`OUTPUT_MARKER`); never the working folder or one holding it."""
    target = Path(target)
    refuse_special(target, folder=True)
    try:
        working = Path.cwd().resolve()
        holds_working = working == target.resolve() or working.is_relative_to(target.resolve())
    except OSError:  # the working folder was removed: it cannot be the target
        holds_working = False
    if holds_working:
        raise AffectlabError(f"{target}: is the working folder or holds it; choose a new folder for the output")
    if not (target.is_dir() and any(target.iterdir())):
        return
    if not overwrite:
        raise AffectlabError(f"{target}: folder is not empty; pass --overwrite to replace it")
    if not (target / OUTPUT_MARKER).is_file():
        raise AffectlabError(
            f"{target}: not a folder affectlab wrote (no {OUTPUT_MARKER} in it); --overwrite replaces only "
            "affectlab's own outputs: remove it yourself or choose another folder"
        )


def check_suffix(target: PathLike, suffixes: tuple[str, ...], what: str) -> None:
    """Refuse a file name whose suffix says another format than the one written (``out.csv`` for parquet);
    a name without a suffix is accepted."""
    suffix = Path(target).suffix.lower()
    if suffix and suffix not in suffixes:
        raise AffectlabError(f"{target}: {what} is written here, not {suffix[1:]}; name it {' or '.join(suffixes)}")


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise AffectlabError(f"{target}: {target.parent} exists and is not a folder") from None
    except OSError as err:
        raise os_error(target.parent, err) from None


WRITE_ERRNOS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
                errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
                errno.ENAMETOOLONG: "file name too long"}  # fmt: skip


def os_error(path: Path, err: OSError) -> AffectlabError:
    """A failed write as one line naming ``path`` and the reason."""
    return AffectlabError(f"{path}: cannot write ({WRITE_ERRNOS.get(err.errno, err.strerror or str(err))})")


def check_writable(target: PathLike, *, folder: bool = False) -> None:
    """Fail early (before any work) when ``target`` cannot be written: a special file, a name too long,
    a parent that is a file, or a folder without write permission. Creates nothing."""
    target = Path(target)
    check_name_length(target)
    refuse_special(target, folder=folder)
    parent = target.parent
    while not parent.exists():
        if parent.is_symlink():
            raise AffectlabError(f"{target}: cannot write ({parent} is a dangling symbolic link)")
        parent = parent.parent
    if not parent.is_dir():
        raise AffectlabError(f"{target}: cannot write ({parent} is not a folder)")
    probe = target if target.is_dir() else parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise AffectlabError(f"{target}: cannot write (permission denied in {probe})")
    try:
        if os.statvfs(probe).f_flag & os.ST_RDONLY:
            raise AffectlabError(f"{target}: cannot write (read-only file system)")
    except OSError:
        pass


def check_name_length(target: PathLike) -> None:
    """Raise when a component of ``target`` is longer than file systems allow (255 bytes)."""
    for part in Path(target).parts:
        if len(os.fsencode(part)) > _NAME_MAX:
            raise AffectlabError(f"{target}: cannot write (file name too long: {part[:40]}...)")


def check_not_input(output: PathLike, inputs: Iterable[PathLike], what: str = "output") -> None:
    """Refuse an output that is, contains or lies inside one of ``inputs`` (an input file or folder)."""
    check_name_length(output)
    out = Path(output).resolve()
    for item in inputs:
        source = Path(item).resolve()
        if out == source or source.is_relative_to(out) or (out.is_relative_to(source) and source.is_dir()):
            raise AffectlabError(f"{output}: the {what} would overwrite an input or lie inside one ({item})")


_HELD_LOCKS: set[int] = set()  # descriptors of the locks this process holds (see _forget_inherited_locks)


def _forget_inherited_locks() -> None:
    """In a forked child (decode workers, process pools): close the inherited lock descriptors. An ``flock``
    belongs to the open file, so a child that outlives a killed parent would otherwise keep the folder locked."""
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_forget_inherited_locks)


@contextlib.contextmanager
def exclusive_lock(folder: PathLike, what: str = "folder") -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock`` on ``FOLDER/.affectlab.lock``, which records the
    holder's pid); a second writer gets an error naming the folder and that pid. Readers need no lock."""
    folder = Path(folder)
    path = folder / LOCK_FILE
    created, folder_created = not path.exists(), not folder.exists()

    def undo() -> None:  # a full disk: what this call made goes again
        with contextlib.suppress(OSError):
            if created:
                path.unlink(missing_ok=True)
            if folder_created:
                folder.rmdir()

    try:
        _make_parent(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    except OSError as err:
        undo()
        raise os_error(folder, err) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AffectlabError(
                f"{folder}: the {what} is being written by another process (pid {holder}); wait for it to finish"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as err:
            os.close(fd)
            fd = -1
            undo()
            raise os_error(folder, err) from None
        _HELD_LOCKS.add(fd)
        try:
            yield
        finally:
            if fd in _HELD_LOCKS:  # not in a forked child, which closed its copy
                _HELD_LOCKS.discard(fd)
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                fd = -1
    finally:
        if fd >= 0:
            os.close(fd)


def lock_holder(folder: PathLike) -> str | None:
    """The pid (as written) of the process holding :func:`exclusive_lock` on ``folder``, or None when no
    one does. Creates nothing, so read-only folders can be checked."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_csv(path: PathLike) -> Iterator[TextIO]:
    """A UTF-8 CSV (BOM allowed) for reading; one-line errors for files that are missing, unreadable or
    not text."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            yield fh
    except UnicodeDecodeError as err:
        raise AffectlabError(f"{path}: not a UTF-8 text file (byte {err.start}: {err.reason})") from None
    except csv.Error as err:
        raise AffectlabError(f"{path}: not a readable CSV ({err})") from None
    except OSError as err:
        raise AffectlabError(f"{path}: cannot read ({err.strerror})") from None


def bounded_lines(
    fh: TextIO,
    limit: int,
    *,
    cut: bool = True,
    keep_ends: bool = False,
    source: object = "input",
    refuse_binary: bool = False,
) -> Iterator[str]:
    """The lines of ``fh`` (line ending dropped unless ``keep_ends``) with memory bounded by ``limit``
    characters: a longer line keeps its first ``limit`` characters and the rest is read and dropped
    (``cut``), or it is refused. ``refuse_binary``: a NUL character (binary data) is an error."""
    for number, line in enumerate(iter(lambda: fh.readline(limit + 1), ""), 1):
        complete = line.endswith("\n")
        if refuse_binary and "\x00" in line:
            raise AffectlabError(f"{source}: binary data (a NUL byte on line {number:,}); expected UTF-8 text")
        if not complete and len(line) > limit:
            if not cut:
                raise AffectlabError(
                    f"{source}: line {number:,} is longer than {limit:,} characters (a record too large to hold "
                    "whole; raise --max-chars if its text is meant to be this long)"
                )
            line = line[:limit]
            while not complete:  # drop the rest of the line, one bounded piece at a time
                rest = fh.readline(_LINE_PIECE)
                if refuse_binary and "\x00" in rest:
                    raise AffectlabError(f"{source}: binary data (a NUL byte on line {number:,}); expected UTF-8 text")
                complete = rest.endswith("\n") or not rest
            line += "\n"
        yield line if keep_ends else line.rstrip("\n")


def write_text(target: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` through :func:`atomic_path`; return the path."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def _json_safe(value: Any) -> Any:
    """NaN and infinities -> None, so the file is valid JSON (``json`` would write ``NaN``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def dumps_json(data: Any, indent: int | None = 2) -> str:
    """Strict JSON (non-finite floats as null, no lone surrogates escaped away silently)."""
    return json.dumps(_json_safe(data), indent=indent, allow_nan=False)


def write_json(target: PathLike, data: Any) -> Path:
    """Pretty, strict JSON (see :func:`dumps_json`), atomically."""
    return write_text(target, dumps_json(data) + "\n")


def read_json(path: PathLike) -> Any:
    """JSON with a one-line error when the file is missing, unreadable or broken."""
    path = Path(path)
    if not path.is_file():
        raise AffectlabError(f"{path}: not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise AffectlabError(f"{path}: invalid JSON ({reason})") from None
    except OSError as err:
        raise AffectlabError(f"{path}: cannot read ({err.strerror})") from None


def file_sha256(path: PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, or of a folder's files in sorted order (HF model folders)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with open(file, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
    return digest.hexdigest()
