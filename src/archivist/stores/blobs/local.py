"""Blobs in a local directory.

Layout: ``<root>/objects/<algorithm>/<ab>/<cd>/<hex>`` for raw blobs and
``<hex>.zst`` for zstd-compressed ones (compression is chosen per blob, when a sample
shows it pays). Writes go to ``<root>/tmp``, are fsynced, then renamed into place, so a
blob is either absent or complete. Blobs are read-only files.

Blobs of at most 64 KiB are rows of ``<root>/pack.sqlite`` instead (see ``pack.py``):
thousands of small files then cost one transaction rather than thousands of files.

Dedup never reuses a damaged blob: a pack row is rewritten with the good bytes whenever
they are stored again, and a blob file is reused only if it is unchanged since it was last
seen intact (``marks.py``), else it is hashed first; a damaged one is moved to
``<root>/quarantine`` and written again.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from archivist import config
from archivist._tempdirs import create_locked, lock_abandoned
from archivist.errors import ArtifactCorrupted
from archivist.stores._readonly import folder_read_only
from archivist.stores.blobs.base import BlobStore, SourceChanged, VerifyingReader, download_tmp
from archivist.stores.blobs.codec import compressor, decompressing_reader, worth_compressing
from archivist.stores.blobs.hashing import CHUNK, hash_bytes, hash_file, new_hasher, split
from archivist.stores.blobs.marks import Marks
from archivist.stores.blobs.pack import MAX_SIZE as PACK_MAX
from archivist.stores.blobs.pack import RAW, ZSTD, Pack

__all__ = ["LocalBlobStore"]

_SMALL = 256 << 10
_RACY_NS = 50_000_000


_COMPRESSORS = threading.local()


def _compressor() -> Any:
    c = getattr(_COMPRESSORS, "c", None)
    if c is None:
        c = _COMPRESSORS.c = compressor()
    return c


_FICLONE = 0x40049409  # Linux ioctl: share extents copy-on-write (btrfs, xfs, ...)


def _reflink(src: str, dst: str) -> bool:
    """Clone ``src`` to ``dst`` without copying bytes where the filesystem can."""
    try:
        import fcntl

        with open(src, "rb") as s, open(dst, "wb") as d:
            fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
        return True
    except (OSError, ImportError):
        if os.path.exists(dst):
            os.unlink(dst)
        return False


def _hardlink(src: str, dst: str) -> bool:
    try:
        os.link(src, dst)
        return True
    except OSError:
        return False


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(BlobStore):
    """Content-addressed blobs under a directory."""

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool | None = None) -> None:
        self.root = Path(root).absolute()
        self.uri = self.root.as_uri()
        self._objects = self.root / "objects"
        self._objects_str = str(self._objects)
        self._tmp = self.root / "tmp"
        #: On a read-only file system the store can be read, not written.
        self.read_only = self.root.is_dir() and folder_read_only(self.root)
        if not self.read_only:
            self._tmp.mkdir(parents=True, exist_ok=True)
            self._objects.mkdir(parents=True, exist_ok=True)
        self._fsync = config.FSYNC.get() if fsync is None else fsync
        self._pack = Pack(self.root / "pack.sqlite", fsync=self._fsync)
        self._marks = Marks(self.root / "marks.sqlite")
        self._quarantine = self.root / "quarantine"
        self._pack_max = min(PACK_MAX, max(0, config.PACK_MAX_BYTES.get()))

    # -- locations ---------------------------------------------------------------------
    def _path(self, digest: str) -> Path:
        return Path(self._path_str(digest))

    def _path_str(self, digest: str) -> str:
        algorithm, hexpart = split(digest)
        return f"{self._objects_str}/{algorithm}/{hexpart[:2]}/{hexpart[2:4]}/{hexpart}"

    def _find(self, digest: str) -> tuple[Path, bool] | None:
        """The stored file for ``digest`` and whether it is compressed, or None."""
        raw = self._path_str(digest)
        if os.path.exists(raw):
            return Path(raw), False
        if os.path.exists(raw + ".zst"):
            return Path(raw + ".zst"), True
        return None

    def _new_tmp(self) -> str:
        path = str(self._tmp / f"{uuid.uuid4().hex}.tmp")
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        return path

    # -- the two ways bytes reach a blob file (tests inject I/O faults here) ------------
    def _open_out(self, tmp: str) -> BinaryIO:
        return open(tmp, "wb")

    def _copy_in(self, src: str | os.PathLike[str], tmp: str) -> None:
        shutil.copyfile(src, tmp)  # sendfile / copy_file_range: no bytes through Python

    @contextlib.contextmanager
    def _locked_tmp(self) -> Iterator[str]:
        """A new temp file, locked (``flock``) while this writer uses it; removed after.

        gc's :meth:`clean_tmp` removes only temp files it can lock, i.e. files whose writer
        is gone (the kernel drops a dead process's locks), whatever their age.
        """
        path, fd = create_locked(self._new_tmp)
        try:
            yield path
        finally:
            with contextlib.suppress(FileNotFoundError):  # installed: it has moved
                os.unlink(path)
            os.close(fd)

    # -- primitives ----------------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return self._find(digest) is not None or self._pack.has(digest)

    def _packs(self, size: int) -> bool:
        return self._pack_max > 0 and size <= self._pack_max

    def _pack_row(self, data: bytes, algorithm: str | None = None) -> tuple[str, bytes, int, int]:
        digest = hash_bytes(data, algorithm or self.algorithm)
        if len(data) >= 512:
            packed = _compressor().compress(data)
            if len(packed) <= len(data) * 0.9:
                return digest, packed, ZSTD, len(data)
        return digest, data, RAW, len(data)

    def put(self, digest: str, data: BinaryIO) -> None:
        algorithm, _ = split(digest)
        head = data.read(self._pack_max + 1)
        if self._packs(len(head)):
            row = self._pack_row(head, algorithm)
            if row[0] != digest:
                raise SourceChanged(
                    f"bytes given for blob {digest} hash to {row[0]}; the source changed while "
                    "it was being stored or the digest is wrong"
                )
            self._pack.put_many([row])
            return
        head += data.read(_SMALL - len(head))
        compress = worth_compressing(head)
        hasher = new_hasher(algorithm)
        with self._locked_tmp() as tmp:
            with self._open_out(tmp) as out:
                if compress:
                    with compressor().stream_writer(out, closefd=False) as zw:
                        chunk = head
                        while chunk:
                            hasher.update(chunk)
                            zw.write(chunk)
                            chunk = data.read(CHUNK)
                else:
                    chunk = head
                    while chunk:
                        hasher.update(chunk)
                        out.write(chunk)
                        chunk = data.read(CHUNK)
                if self._fsync:
                    out.flush()
                    os.fsync(out.fileno())
            actual = f"{algorithm}:{hasher.hexdigest()}"
            if actual != digest:
                raise SourceChanged(
                    f"bytes given for blob {digest} hash to {actual}; the source changed while "
                    "it was being stored or the digest is wrong"
                )
            self._install(tmp, digest, compress)

    def _install(self, tmp: str, digest: str, compressed: bool) -> None:
        final = self._path(digest)
        if compressed:
            final = final.with_name(final.name + ".zst")
        os.chmod(tmp, 0o444)
        try:
            os.replace(tmp, final)
        except FileNotFoundError:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        if self._fsync:
            _fsync_dir(str(final.parent))
        # the bytes were hashed on their way in: the installed file is known intact
        self._marks.mark(digest, os.stat(final))

    def open(self, digest: str) -> BinaryIO:
        found = self._find(digest)
        if found is None:
            packed = self._pack.get(digest)
            if packed is not None:
                data, codec = packed
                raw_io: BinaryIO = io.BytesIO(data)
                if codec == ZSTD:
                    raw_io = decompressing_reader(raw_io)
                where = f"{self._pack.path}#{digest}"
                return io.BufferedReader(VerifyingReader(raw_io, digest, where), CHUNK)  # type: ignore[return-value]
            raise ArtifactCorrupted(
                f"blob {digest} is missing from {self.uri}; an artifact references bytes that "
                "are gone. Run 'archivist verify' to list what is affected"
            )
        path, compressed = found
        raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - handed to the reader
        if compressed:
            raw = decompressing_reader(raw)
        reader = VerifyingReader(raw, digest, str(path), lambda: self._marks.forget(digest))
        return io.BufferedReader(reader, CHUNK)  # type: ignore[return-value]

    def check(self, digest: str) -> int:
        """Verify a blob; a raw file is hashed memory-mapped on every core."""
        found = self._find(digest)
        if found is None or found[1]:
            return super().check(digest)
        try:
            actual, size = hash_file(found[0], split(digest)[0])
        except FileNotFoundError:
            return super().check(digest)
        if actual != digest:
            raise ArtifactCorrupted(
                f"blob {digest} at {found[0]} is corrupted: its bytes hash to {actual}; restore "
                "it from a backup or re-log the artifact, then run 'archivist verify'"
            )
        return size

    def local_file(self, digest: str) -> str | None:
        found = self._find(digest)
        return None if found is None or found[1] else str(found[0])

    def read_range(self, digest: str, offset: int, length: int) -> bytes:
        """Stored bytes of a raw object by position (unverified; see BlobStore)."""
        found = self._find(digest)
        if found is None or found[1]:
            return super().read_range(digest, offset, length)
        try:
            fd = os.open(found[0], os.O_RDONLY)
        except FileNotFoundError:
            return super().read_range(digest, offset, length)
        try:
            parts = []
            while length > 0:
                part = os.pread(fd, length, offset)
                if not part:
                    break
                parts.append(part)
                offset += len(part)
                length -= len(part)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        finally:
            os.close(fd)

    def delete(self, digest: str) -> None:
        self._pack.delete(digest)
        found = self._find(digest)
        if found is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(found[0])

    def iter_digests(self) -> Iterator[str]:
        yield from self._pack.digests()
        if not self._objects.exists():
            return
        for algo_dir in self._objects.iterdir():
            algorithm = algo_dir.name
            for dirpath, _dirs, files in os.walk(algo_dir):
                for name in files:
                    yield f"{algorithm}:{name.removesuffix('.zst')}"
                del dirpath

    # -- derived, done better locally -----------------------------------------------------
    def touch(self, digest: str) -> bool:
        found = self._find(digest)
        if found is None:
            return self._pack.touch(digest)
        path = found[0]
        try:
            before = os.stat(path)
            os.utime(path)
            after = os.stat(path)
        except FileNotFoundError:
            return False
        except OSError as e:  # a read-only store can still be read
            if e.errno not in (errno.EROFS, errno.EPERM, errno.EACCES):
                raise
            return True
        if self._marks.matches(digest, before):  # utime changes ctime: carry the mark over
            self._marks.mark(digest, after)
        return True

    def reuse(self, digest: str) -> bool:
        """Whether the stored blob is intact and protected from gc: no need to write it.

        A pack row is small: it is hashed. A blob file is trusted when it is unchanged since
        it was last seen intact, else hashed once (and marked). A damaged blob is moved to
        the quarantine folder and False is returned, so the caller stores the good bytes.
        """
        found = self._find(digest)
        if found is None:
            packed = self._pack.get(digest)
            if packed is None:
                return False
            if self._row_intact(digest, *packed):
                return self._pack.touch(digest)
            self.quarantine(digest)
            return False
        path, compressed = found
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return False
        if not self._marks.matches(digest, st):
            if not self._file_intact(digest, path, compressed):
                self._quarantine_file(digest, path, st)
                return False
            if os.stat(path) != st:  # changed while we hashed it: store the good bytes anew
                return False
            self._marks.mark(digest, st)
        # No touch: gc cannot take it from under the commit that will reference it
        # (the commit re-checks under gc's lock), and utime would change its ctime.
        return True

    def has_many(self, digests: Iterable[str]) -> set[str]:
        wanted = list(digests)
        found = self._pack.has_many(wanted)
        found.update(d for d in wanted if d not in found and self._find(d) is not None)
        return found

    def _file_intact(self, digest: str, path: Path, compressed: bool) -> bool:
        try:
            if not compressed:
                return hash_file(path, split(digest)[0])[0] == digest
            reader = VerifyingReader(decompressing_reader(open(path, "rb")), digest, str(path))  # noqa: SIM115
            with reader:
                while reader.read(CHUNK):
                    pass
            return True
        except FileNotFoundError:
            return False
        except ArtifactCorrupted:
            return False

    @staticmethod
    def _row_intact(digest: str, data: bytes, codec: int) -> bool:
        if codec == ZSTD:
            import zstandard

            try:
                data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
            except zstandard.ZstdError:
                return False
        return hash_bytes(data, split(digest)[0]) == digest

    def quarantine(self, digest: str) -> str | None:
        """Move a damaged blob to ``<root>/quarantine``; returns its new path."""
        found = self._find(digest)
        if found is not None:
            try:
                return self._quarantine_file(digest, found[0], os.stat(found[0]))
            except FileNotFoundError:
                return None
        packed = self._pack.get(digest)
        if packed is None:
            return None
        target = self._quarantine_target(digest, f"pack-{'zst' if packed[1] == ZSTD else 'raw'}")
        with open(target, "wb") as out:
            out.write(packed[0])
        self._pack.delete(digest)
        self._marks.forget(digest)
        return str(target)

    def quarantined(self, digest: str) -> list[str]:
        algorithm, hexpart = split(digest)
        if not self._quarantine.is_dir():
            return []
        return sorted(str(p) for p in self._quarantine.glob(f"{algorithm}-{hexpart}.*"))

    def _quarantine_target(self, digest: str, kind: str) -> Path:
        algorithm, hexpart = split(digest)
        self._quarantine.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        return self._quarantine / f"{algorithm}-{hexpart}.{stamp}-{uuid.uuid4().hex[:6]}.{kind}"

    def _quarantine_file(self, digest: str, path: Path, st: os.stat_result) -> str | None:
        """Move ``path`` aside unless it was replaced meanwhile (by a writer's good copy)."""
        self._marks.forget(digest)
        kind = "zst" if path.name.endswith(".zst") else "raw"
        target = self._quarantine_target(digest, kind)
        try:
            if os.stat(path).st_ino != st.st_ino:
                return None
            os.replace(path, target)
        except FileNotFoundError:
            return None
        return str(target)

    def age_seconds(self, digest: str) -> float:
        found = self._find(digest)
        if found is None:
            return self._pack.age_seconds(digest) or 0.0
        return max(0.0, time.time() - found[0].stat().st_mtime)

    def delete_if_older(self, digest: str, seconds: float) -> bool:
        """Sweep one blob safely against concurrent writers.

        The blob is first renamed out of the store, so a writer that dedups against it
        from then on finds it gone and writes it again; if a writer touched it just before
        the rename, it is put back. With ``seconds=0`` that window is not covered: a grace
        of 0 is only for stores nobody is writing to.
        """
        found = self._find(digest)
        if found is None:
            return self._pack.delete_if_older(digest, seconds)
        path, _ = found
        try:
            if time.time() - path.stat().st_mtime < seconds:
                return False
            trash = self._tmp / f"gc-{path.name}-{uuid.uuid4().hex[:8]}"
            os.replace(path, trash)
        except FileNotFoundError:
            return False
        try:
            if time.time() - trash.stat().st_mtime < seconds and not path.exists():
                os.replace(trash, path)
                return False
            os.unlink(trash)
        except FileNotFoundError:  # another gc cleaned it up
            pass
        return True

    def stored_size(self, digest: str) -> int:
        """Bytes the blob takes on disk (after compression)."""
        found = self._find(digest)
        if found is None:
            return self._pack.stored_size(digest) or 0
        return found[0].stat().st_size

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        if self._packs(len(data)):  # the upsert also rewrites a damaged row
            row = self._pack_row(data)
            self._pack.put_many([row])
            return row[0], row[3]
        return super().put_bytes(data)

    def put_file(self, path: str | os.PathLike[str]) -> tuple[str, int]:
        before = os.stat(path)
        if self._packs(before.st_size):
            return self.put_files([os.fspath(path)])[0]
        digest, size = hash_file(path, self.algorithm)
        if self.reuse(digest):
            return digest, size
        with open(path, "rb") as f:
            head = f.read(_SMALL)
        if worth_compressing(head):
            with open(path, "rb") as f:
                # raises SourceChanged if the file changed after hashing: the caller
                # (artifacts/sources.py) reads it again, a bounded number of times
                self.put(digest, f)  # type: ignore[arg-type]
            return digest, size
        with self._locked_tmp() as tmp:
            self._copy_in(path, tmp)
            after = os.stat(path)
            # a change within a clock tick of the last one may not move the timestamps:
            # then hash what was copied rather than trust the first pass
            racy = time.time_ns() - max(before.st_mtime_ns, before.st_ctime_ns) < _RACY_NS
            if racy or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                digest, size = hash_file(tmp, self.algorithm)
                if self.reuse(digest):
                    return digest, size
            if self._fsync:
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            self._install(tmp, digest, False)
        return digest, size

    def put_files(
        self, paths: list[str], progress: Callable[[int], object] | None = None
    ) -> list[tuple[str, int]]:
        """Store many files: small ones go into the pack in one transaction."""
        results: list[tuple[str, int] | None] = [None] * len(paths)
        rows: dict[str, tuple[str, bytes, int, int]] = {}
        large: list[int] = []
        for i, p in enumerate(paths):
            with open(p, "rb") as f:
                data = f.read(self._pack_max + 1)
            if not self._packs(len(data)):
                large.append(i)
                continue
            row = self._pack_row(data)
            rows[row[0]] = row
            results[i] = (row[0], row[3])
        if rows:  # new blobs are added, packed ones rewritten (which repairs a damaged row)
            self._pack.put_many(rows.values())
            if progress is not None:
                progress(sum(r[1] for r in results if r is not None))
        if len(large) == 1:
            stored = self.put_file(paths[large[0]])
            results[large[0]] = stored
            if progress is not None:
                progress(stored[1])
        elif large:
            # hashing, compression and kernel copies release the GIL: use every core
            with ThreadPoolExecutor(min(8, os.cpu_count() or 2)) as pool:
                for i, stored in zip(large, pool.map(self.put_file, [paths[i] for i in large]), strict=True):
                    results[i] = stored
                    if progress is not None:
                        progress(stored[1])
        return [r for r in results if r is not None]

    def copy_to(self, digest: str, dest: str, *, link: bool = False) -> None:
        """Materialize a blob at ``dest``.

        Raw blobs are verified, then hardlinked when ``link`` is true (the result is a
        read-only file sharing the store's bytes) or copied in the kernel otherwise.
        """
        found = self._find(digest)
        if found is None or found[1]:
            super().copy_to(digest, dest)
            return
        src = str(found[0])
        tmp = download_tmp(dest)
        try:
            # Verify and copy at once: the hash reads the blob on other cores while the
            # kernel copies it; the copy only becomes visible if the digest matched.
            with ThreadPoolExecutor(1) as pool:
                hashed = pool.submit(hash_file, src, split(digest)[0])
                if not (link and _hardlink(src, tmp)) and not _reflink(src, tmp):
                    shutil.copyfile(src, tmp)
                actual, _ = hashed.result()
            if actual != digest:
                self._marks.forget(digest)
                raise ArtifactCorrupted(
                    f"blob {digest} at {src} is corrupted: its bytes hash to {actual}; restore "
                    "it from a backup or re-log the artifact, then run 'archivist verify'"
                )
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def clean_tmp(self, older_than: float) -> int:
        """Remove temp files of writers that are gone, untouched for ``older_than`` seconds.

        A live writer holds a lock on its temp file (:meth:`_locked_tmp`), so it is never
        removed under the writer, whatever ``older_than`` is. Returns how many were removed.
        """
        n = 0
        now = time.time()
        for entry in os.scandir(self._tmp):
            try:
                if not entry.is_file(follow_symlinks=False) or now - entry.stat().st_mtime < older_than:
                    continue
            except FileNotFoundError:
                continue
            fd = lock_abandoned(entry.path)
            if fd is None:
                continue
            try:
                os.unlink(entry.path)
                n += 1
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)
        return n
