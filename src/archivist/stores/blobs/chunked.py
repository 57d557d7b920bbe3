"""Content-defined chunking over any blob store: large files stored as changed chunks only.

A file of at least ``min_file`` bytes is cut with FastCDC (``pyfastcdc``) into chunks of
about 128 KiB whose boundaries follow the content, so an edit or an insertion changes
only the chunks around it. New chunks are written into *packs* (``chunkformat.py``) of
about 64 MiB, so an object store holds a few large objects rather than millions of small
ones; the file itself becomes a *recipe*, the list of its chunks. The whole-file digest
stays the file's identity: callers see ``has/put/open/delete/iter_digests`` by that
digest exactly as with a plain store, and every read checks each chunk and the whole file.

The layer keeps to the inner store's five primitives (plus an optional ranged read), so
it works the same on a local folder, in memory and on S3. Smaller files, and files
already stored whole, go to the inner store unchanged.

Write order gives crash safety: packs are stored (and fsynced by the inner store) before
the chunk index learns of them, and the recipe last; a crash leaves at most packs that
no recipe uses, which gc removes after its grace period. A chunk reused from an existing
pack touches that pack, so a concurrent gc keeps it (see ``chunkgc.py``).
"""

from __future__ import annotations

import io
import mmap
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO

from archivist.errors import ArtifactCorrupted, InvalidArgument
from archivist.stores.blobs.base import BlobStore, SourceChanged, VerifyingReader, download_tmp
from archivist.stores.blobs.chunkformat import (
    RAW,
    ZSTD,
    PackEntry,
    Recipe,
    decode_pack_table,
    decode_recipe,
    encode_pack_header,
    encode_recipe,
)
from archivist.stores.blobs.chunkindex import ChunkIndex
from archivist.stores.blobs.hashing import ALGORITHMS, CHUNK, new_hasher, split
from archivist.stores.blobs.selfnamed import HEADER, parse_header
from archivist.stores.blobs.streams import IterReader

if TYPE_CHECKING:
    from archivist.stores.blobs.chunkgc import ChunkGcReport

__all__ = ["ChunkedBlobStore", "with_chunking"]

MIN_FILE = 16 << 20
AVG_CHUNK = 128 << 10
PACK_BYTES = 64 << 20
_READ_SPAN = 16 << 20
_WRITERS = 3
_SAMPLE = 256 << 10


class _PartsReader(io.RawIOBase):
    """A reader over byte strings held in memory, read in order."""

    def __init__(self, parts: list[bytes | memoryview]) -> None:
        super().__init__()
        self._parts = parts
        self._i = 0
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = 0
        want = len(b)
        while n < want and self._i < len(self._parts):
            part = self._parts[self._i]
            take = min(want - n, len(part) - self._pos)
            b[n : n + take] = part[self._pos : self._pos + take]
            n += take
            self._pos += take
            if self._pos == len(part):
                self._i += 1
                self._pos = 0
        return n


class _PackBuilder:
    """Chunks waiting to be written as one pack."""

    def __init__(self) -> None:
        self.rows: list[tuple[bytes, int, int, int]] = []
        self.parts: list[bytes | memoryview] = []
        self.ids: set[bytes] = set()
        self.size = 0

    def add(self, chunk_id: bytes, stored: bytes | memoryview, length: int, codec: int) -> None:
        self.rows.append((chunk_id, len(stored), length, codec))
        self.parts.append(stored)
        self.ids.add(chunk_id)
        self.size += len(stored)


class ChunkedBlobStore(BlobStore):
    """Stores large files as content-defined chunks in packs over an inner blob store.

    Args:
        inner: where objects are kept (local folder, memory, S3...).
        index_path: the chunk index file; None keeps it in memory (rebuilt from the packs).
        min_file: files of at least this many bytes are chunked.
        avg_chunk: the target chunk size (FastCDC's average; min a quarter, max 4x).
        pack_bytes: packs are closed once they hold this many bytes.

    Example:
        >>> store = ChunkedBlobStore(LocalBlobStore("/data/blobs"), index_path="/data/blobs/chunks.sqlite")
        >>> digest, size = store.put_file("checkpoint.pt")
    """

    def __init__(
        self,
        inner: BlobStore,
        *,
        index_path: str | os.PathLike[str] | None = None,
        min_file: int = MIN_FILE,
        avg_chunk: int = AVG_CHUNK,
        pack_bytes: int = PACK_BYTES,
    ) -> None:
        self.inner = inner
        self.uri = inner.uri
        self.algorithm = inner.algorithm
        self.index = ChunkIndex(index_path)
        # an index kept in memory starts empty: fill it from the packs before relying on it
        self._index_filled = index_path is not None
        self.min_file = max(min_file, 1)
        self.avg_chunk = avg_chunk
        self.pack_bytes = pack_bytes
        self._refresh_lock = threading.Lock()
        # an encrypted inner store keys chunk ids, so they reveal nothing about the content
        self._chunk_key: bytes | None = getattr(inner, "chunk_key", None)

    def __getattr__(self, name: str) -> Any:
        # what the inner store offers beyond the contract (a local store's root, ...)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def chunk_id(self, data: bytes | memoryview) -> bytes:
        """A chunk's id: the blake3 digest of its bytes (keyed in an encrypted store)."""
        import blake3

        if self._chunk_key is not None:
            return blake3.blake3(data, key=self._chunk_key).digest()
        return blake3.blake3(data).digest()

    # -- names -------------------------------------------------------------------------
    @staticmethod
    def _public(digest: str) -> str:
        algorithm, hexpart = split(digest)
        if algorithm not in ALGORITHMS:
            raise InvalidArgument(
                f"digest {digest!r} names an internal object, not an artifact; use a "
                f"'<algorithm>:<hex>' digest with algorithm one of {ALGORITHMS}"
            )
        return hexpart

    def _recipe_name(self, digest: str) -> str | None:
        algorithm, hexpart = split(digest)
        return f"recipe:{hexpart}" if algorithm == "blake3" else None

    def _stored_name(self, digest: str) -> str | None:
        """The inner object holding ``digest``: the blob itself or its recipe."""
        self._public(digest)
        if self.inner.has(digest):
            return digest
        recipe = self._recipe_name(digest)
        if recipe is not None and self.inner.has(recipe):
            return recipe
        return None

    # -- the five primitives -------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return self._stored_name(digest) is not None

    def put(self, digest: str, data: BinaryIO) -> None:
        self._public(digest)
        head = data.read(self.min_file)
        if len(head) < self.min_file or self._recipe_name(digest) is None:
            self.inner.put(digest, _Chain(head, data))  # type: ignore[arg-type]
            return
        self._ingest_stream(_Chain(head, data), expected=digest)  # type: ignore[arg-type]

    def open(self, digest: str) -> BinaryIO:
        name = self._stored_name(digest)
        if name is None or name == digest:
            return self.inner.open(digest)
        recipe = self._load_recipe(digest)
        reader = IterReader(self.read_chunks(digest, recipe))
        return io.BufferedReader(VerifyingReader(reader, digest, f"{self.uri} (chunked)"), CHUNK)  # type: ignore[arg-type, return-value]

    def delete(self, digest: str) -> None:
        self._public(digest)
        self.inner.delete(digest)
        recipe = self._recipe_name(digest)
        if recipe is not None:
            self.inner.delete(recipe)

    def iter_digests(self) -> Iterator[str]:
        for name in self.inner.iter_digests():
            kind, _, hexpart = name.partition(":")
            if kind == "recipe":
                yield f"blake3:{hexpart}"
            elif kind in ALGORITHMS:
                yield name

    # -- derived ---------------------------------------------------------------------------
    def has_many(self, digests: Iterable[str]) -> set[str]:
        """Two batched questions to the inner store: the blobs, then the rest's recipes
        (an artifact commit asks this for every file it names)."""
        wanted = list(digests)
        for digest in wanted:
            self._public(digest)
        found = self.inner.has_many(wanted)
        recipes: dict[str, str] = {}
        for digest in wanted:
            name = None if digest in found else self._recipe_name(digest)
            if name is not None:
                recipes[name] = digest
        if recipes:
            found.update(recipes[name] for name in self.inner.has_many(recipes))
        return found

    def touch(self, digest: str) -> bool:
        name = self._stored_name(digest)
        return name is not None and self.inner.touch(name)

    def reuse(self, digest: str) -> bool:
        """The inner store's reuse check on the file's blob or recipe (chunks are checked
        on every read and by verify, not here: that would read the whole file)."""
        name = self._stored_name(digest)
        return name is not None and self.inner.reuse(name)

    def quarantine(self, digest: str) -> str | None:
        """Move a damaged file's objects aside: its blob, or its recipe if that is damaged,
        else the packs holding its damaged chunks (other files using them are damaged too)."""
        name = self._stored_name(digest)
        if name is None:
            return None
        if name == digest:
            return self.inner.quarantine(digest)
        try:
            recipe = self._load_recipe(digest)
        except ArtifactCorrupted:
            return self.inner.quarantine(name)
        bad = self._damaged_packs(recipe)
        kept = [self.inner.quarantine(pack) for pack in sorted(bad)]
        for pack in bad:
            self.index.drop_pack(pack)
        return ", ".join(k for k in kept if k) or None

    def quarantined(self, digest: str) -> list[str]:
        found = self.inner.quarantined(digest)
        recipe = self._recipe_name(digest)
        return found + (self.inner.quarantined(recipe) if recipe is not None else [])

    def _damaged_packs(self, recipe: Recipe) -> set[str]:

        bad: set[str] = set()
        for pack, e in self.locate(c for c, _ in recipe.chunks).values():
            if pack in bad:
                continue
            try:
                stored = self.inner.read_range(pack, e.offset, e.stored)
                chunk = _decode(memoryview(stored), e, pack, self.uri)
                if self.chunk_id(chunk) != e.chunk:
                    bad.add(pack)
            except ArtifactCorrupted:
                bad.add(pack)
        return bad

    def age_seconds(self, digest: str) -> float:
        name = self._stored_name(digest)
        return 0.0 if name is None else self.inner.age_seconds(name)

    def delete_if_older(self, digest: str, seconds: float) -> bool:
        name = self._stored_name(digest)
        return name is not None and self.inner.delete_if_older(name, seconds)

    def stored_size(self, digest: str) -> int:
        """Bytes the file's own object takes: its blob, or its recipe.

        Chunks are shared between files, so a chunked file's chunks are not counted here;
        gc reports the packs it frees on their own.
        """
        name = self._stored_name(digest)
        return 0 if name is None else self.inner.stored_size(name)

    def clean_tmp(self, older_than: float) -> int:
        return self.inner.clean_tmp(older_than)

    def check(self, digest: str) -> int:
        """Verify a file completely; returns its size.

        For a chunked file every chunk is checked against its id while another thread
        hashes the whole file, so the two checks share the cores.
        """
        name = self._stored_name(digest)
        if name is None or name == digest:
            return self.inner.check(digest)
        return self._verified_chunks(digest, lambda chunk: None)

    def is_chunked(self, digest: str) -> bool:
        """Whether ``digest`` is stored as a recipe of chunks."""
        name = self._stored_name(digest)
        return name is not None and name != digest

    def put_file(self, path: str | os.PathLike[str]) -> tuple[str, int]:
        size = os.stat(path).st_size
        if size < self.min_file or self.algorithm != "blake3":
            return self.inner.put_file(path)
        return self._ingest_path(os.fspath(path))

    def put_files(
        self, paths: list[str], progress: Callable[[int], object] | None = None
    ) -> list[tuple[str, int]]:
        sizes = [os.stat(p).st_size for p in paths]
        small = [i for i, s in enumerate(sizes) if s < self.min_file or self.algorithm != "blake3"]
        results: list[tuple[str, int] | None] = [None] * len(paths)
        if small:
            stored = self.inner.put_files([paths[i] for i in small], progress)
            for i, r in zip(small, stored, strict=True):
                results[i] = r
        for i, s in enumerate(sizes):
            if results[i] is None:
                results[i] = self._ingest_path(paths[i])
                if progress is not None:
                    progress(s)
        return [r for r in results if r is not None]

    def copy_to(self, digest: str, dest: str, *, link: bool = False) -> None:
        """Materialize a file; a chunked one is written chunk by chunk as it is checked,
        and only appears at ``dest`` once the whole file matched its digest."""
        if self._stored_name(digest) in (digest, None):
            self.inner.copy_to(digest, dest, link=link)
            return
        tmp = download_tmp(dest)
        try:
            with open(tmp, "wb") as out:
                self._verified_chunks(digest, out.write)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    # -- writing ---------------------------------------------------------------------------
    def _chunker(self) -> Any:
        from pyfastcdc import FastCDC

        return FastCDC(self.avg_chunk, min_size=self.avg_chunk // 4, max_size=self.avg_chunk * 4)

    def _ingest_path(self, path: str) -> tuple[str, int]:
        with open(path, "rb") as f:
            before = os.fstat(f.fileno())
            if before.st_size == 0:
                return self.inner.put_file(path)
            written: list[str] = []
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                view = memoryview(m)
                try:
                    # hash first (all cores): a file stored already is not cut again
                    known = _whole_digest(view)
                    recipe = None if self.reuse(known) else self._ingest_buffer(view, known, written)
                    digest = known
                finally:
                    view.release()
            after = os.stat(path)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            # it changed while we read it: chunks may hold other bytes than their ids say;
            # take back the packs written from it (the caller reads the file again)
            for pack in written:
                self.index.drop_pack(pack)
                self.inner.delete(pack)
            raise SourceChanged(f"file {path!r} changed while it was being stored")
        if recipe is not None:
            self._write_recipe(digest, recipe)
        return digest, before.st_size

    def _ingest_buffer(self, view: memoryview, digest: str, written: list[str]) -> Recipe:
        """Chunk, deduplicate and store the bytes of ``view`` (a memory-mapped file whose
        whole-file ``digest`` is known): FastCDC finds the cuts in one thread while this
        one hashes chunks and assembles packs (written by another). Returns the recipe."""
        cuts: queue.Queue[list[tuple[int, int]] | BaseException | None] = queue.Queue(64)
        stop = threading.Event()

        def cut() -> None:
            try:
                batch: list[tuple[int, int]] = []
                for c in self._chunker().cut_buf(view):
                    batch.append((c.offset, c.length))
                    if len(batch) == 64:
                        cuts.put(batch)
                        batch = []
                        if stop.is_set():
                            return
                cuts.put(batch)
                cuts.put(None)
            except BaseException as e:  # handed to the consumer
                cuts.put(e)

        def chunks() -> Iterator[memoryview]:
            while True:
                item = cuts.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                for offset, length in item:
                    yield view[offset : offset + length]

        cutter = threading.Thread(target=cut, name="archivist-cdc", daemon=True)
        cutter.start()
        try:
            recipe = self._store_chunks(
                chunks(), compress=_worth_compressing(view[:_SAMPLE]), written=written
            )
        finally:
            stop.set()
            while cutter.is_alive():
                try:
                    cuts.get_nowait()
                except queue.Empty:
                    cutter.join(0.01)
        return recipe

    def _ingest_stream(self, data: BinaryIO, expected: str) -> None:
        import blake3

        head = data.read(_SAMPLE)
        stream = _Chain(head, data)
        whole = blake3.blake3()

        def chunks() -> Iterator[bytes]:
            for c in self._chunker().cut_stream(stream):
                chunk = bytes(c.data)
                whole.update(chunk)
                yield chunk

        recipe = self._store_chunks(chunks(), compress=_worth_compressing(memoryview(head)), written=[])
        digest = f"blake3:{whole.hexdigest()}"
        if digest != expected:
            raise InvalidArgument(
                f"bytes given for blob {expected} hash to {digest}; the source changed while "
                "it was being stored or the digest is wrong"
            )
        self._write_recipe(digest, recipe)

    def _write_recipe(self, digest: str, recipe: Recipe) -> None:
        if not self.reuse(digest):
            body = encode_recipe(bytes.fromhex(split(digest)[1]), recipe)
            self.inner.put(f"recipe:{split(digest)[1]}", io.BytesIO(body))

    def _store_chunks(
        self,
        chunks: Iterable[bytes | memoryview],
        *,
        compress: bool,
        written: list[str],
    ) -> Recipe:
        """Store the new chunks of one file, in order; returns its recipe."""

        recipe: list[tuple[bytes, int]] = []
        size = 0
        builder = _PackBuilder()
        known: set[bytes] = set()  # in a pack that is protected from gc, or pending
        touched: dict[str, bool] = {}
        writes: list[Future[None]] = []
        zc = _zstd() if compress else None
        batch: list[tuple[bytes, bytes | memoryview]] = []
        # packs are written (and fsynced) several at a time: the disk flushes one while the
        # next is filled; at most _WRITERS packs are in flight, each a view of the file
        with ThreadPoolExecutor(_WRITERS, thread_name_prefix="archivist-pack") as writer:

            def flush_batch() -> None:
                nonlocal builder
                if not self._index_filled:
                    self.refresh_index()
                found = self.index.lookup(c for c, _ in batch if c not in known)
                for chunk_id, data in batch:
                    if chunk_id in known:
                        continue
                    where = found.get(chunk_id)
                    if where is not None:
                        pack = where[0]
                        if pack not in touched:
                            touched[pack] = self.inner.touch(pack)
                            if not touched[pack]:  # collected meanwhile: forget it
                                self.index.drop_pack(pack)
                        if touched[pack]:
                            known.add(chunk_id)
                            continue
                    stored, codec = _encode(data, zc)
                    builder.add(chunk_id, stored, len(data), codec)
                    known.add(chunk_id)
                    if builder.size >= self.pack_bytes:
                        writes.append(writer.submit(self._write_pack, builder, written))
                        builder = _PackBuilder()
                        if len(writes) >= _WRITERS:
                            writes.pop(0).result()
                batch.clear()

            for data in chunks:
                chunk_id = self.chunk_id(data)
                size += len(data)
                recipe.append((chunk_id, len(data)))
                batch.append((chunk_id, data))
                if len(batch) >= 256:
                    flush_batch()
            flush_batch()
            if builder.rows:
                writes.append(writer.submit(self._write_pack, builder, written))
            for w in writes:
                w.result()
        return Recipe(size, tuple(recipe))

    def _write_pack(self, builder: _PackBuilder, written: list[str]) -> None:
        raw_name, header, entries = encode_pack_header(builder.rows)
        name = f"pack:{raw_name.hex()}"
        total = len(header) + builder.size
        self.inner.put(name, io.BufferedReader(_PartsReader([header, *builder.parts]), CHUNK))  # type: ignore[arg-type]
        self.index.add_pack(name, total, entries)
        written.append(name)

    # -- reading ---------------------------------------------------------------------------
    def _load_recipe(self, digest: str) -> Recipe:
        name = f"recipe:{split(digest)[1]}"
        try:
            data = self.inner.read_bytes(name)
        except ArtifactCorrupted as e:
            raise ArtifactCorrupted(
                f"the recipe of {digest} in {self.uri} is damaged or missing ({e.message}); "
                "restore it from a backup or re-log the artifact"
            ) from None
        _, meta, _ = parse_header(data, f"{name} in {self.uri}")
        return decode_recipe(meta, f"{name} in {self.uri}")

    def read_pack_table(self, pack: str) -> list[PackEntry]:
        """The table stored inside a pack (read from the store, not the index)."""
        head = self.inner.read_range(pack, 0, HEADER)
        if len(head) < HEADER:
            raise ArtifactCorrupted(f"pack {pack} in {self.uri} is truncated")
        n = int.from_bytes(head[HEADER - 4 : HEADER], "little")
        data = head + self.inner.read_range(pack, HEADER, n)
        _, meta, _ = parse_header(data, f"{pack} in {self.uri}")
        return decode_pack_table(meta, f"{pack} in {self.uri}")

    def refresh_index(self) -> None:
        """Make the chunk index agree with the packs in the store (added or gone)."""
        with self._refresh_lock:
            self._index_filled = True
            stored = {n for n in self.inner.iter_digests() if n.startswith("pack:")}
            known = self.index.packs()
            for gone in set(known) - stored:
                self.index.drop_pack(gone)
            for new in stored - set(known):
                try:
                    entries = self.read_pack_table(new)
                except ArtifactCorrupted:
                    continue  # verify reports it; its chunks are written again when needed
                self.index.add_pack(new, self.inner.stored_size(new), entries)

    def locate(self, chunks: Iterable[bytes]) -> dict[bytes, tuple[str, PackEntry]]:
        """Where each chunk is; refreshes the index once if some are unknown."""
        wanted = list(chunks)
        found = self.index.lookup(wanted)
        if len(found) < len(set(wanted)):
            self.refresh_index()
            found = self.index.lookup(wanted)
        return found

    def _range(self, pack: str, offset: int, length: int, maps: dict[str, Any]) -> bytes | memoryview:
        """Stored bytes of a pack: a view of the memory-mapped file when it is local."""
        if pack not in maps:
            maps[pack] = None
            path = self.inner.local_file(pack)
            if path is not None:
                try:
                    with open(path, "rb") as f:
                        maps[pack] = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
                except (FileNotFoundError, ValueError):
                    pass
        view = maps[pack]
        if view is not None and offset + length <= len(view):
            return view[offset : offset + length]  # type: ignore[no-any-return]
        return self.inner.read_range(pack, offset, length)

    def read_chunks(self, digest: str, recipe: Recipe) -> Iterator[bytes | memoryview]:
        """The file's chunks in order, each checked against its id."""

        where = self.locate(c for c, _ in recipe.chunks)
        maps: dict[str, Any] = {}
        i = 0
        refreshed = False
        n = len(recipe.chunks)
        while i < n:
            chunk_id = recipe.chunks[i][0]
            loc = where.get(chunk_id)
            if loc is None:
                raise ArtifactCorrupted(
                    f"chunk {chunk_id.hex()} of {digest} is in no pack of {self.uri}; restore "
                    "the store from a backup or re-log the artifact"
                )
            # read a run of chunks that sit next to each other in the same pack at once
            pack, first = loc
            span = [first]
            j = i + 1
            total = first.stored
            while j < n and total < _READ_SPAN:
                nxt = where.get(recipe.chunks[j][0])
                if nxt is None or nxt[0] != pack or nxt[1].offset != span[-1].offset + span[-1].stored:
                    break
                span.append(nxt[1])
                total += nxt[1].stored
                j += 1
            end = span[-1].offset + span[-1].stored
            try:
                data = self._range(pack, first.offset, end - first.offset, maps)
            except ArtifactCorrupted:
                if not self.inner.has(pack) and not refreshed:  # repacked meanwhile
                    refreshed = True
                    self.refresh_index()
                    where = self.index.lookup(c for c, _ in recipe.chunks)
                    continue
                raise
            view = memoryview(data)
            if len(view) < end - first.offset:
                raise ArtifactCorrupted(f"pack {pack} in {self.uri} is truncated")
            for e in span:
                stored = view[e.offset - first.offset : e.offset - first.offset + e.stored]
                chunk = _decode(stored, e, pack, self.uri)
                if len(chunk) != e.length or self.chunk_id(chunk) != e.chunk:
                    raise ArtifactCorrupted(
                        f"chunk {e.chunk.hex()} of {digest} in {pack} at {self.uri} is "
                        "corrupted (its bytes do not hash to its id); restore the store from "
                        "a backup or re-log the artifact, then run 'archivist verify'"
                    )
                yield chunk
            i = j

    def _verified_chunks(
        self, digest: str, sink: Callable[[bytes | memoryview], object]
    ) -> int:
        """Hand every chunk of a chunked file to ``sink`` while another thread hashes the
        whole file; raises (after the last chunk) if the file's digest does not match."""
        import blake3

        recipe = self._load_recipe(digest)
        whole = blake3.blake3()
        pending: queue.Queue[bytes | memoryview | None] = queue.Queue(64)

        def feed() -> None:
            while (part := pending.get()) is not None:
                whole.update(part)

        hasher = threading.Thread(target=feed, name="archivist-verify", daemon=True)
        hasher.start()
        size = 0
        try:
            for chunk in self.read_chunks(digest, recipe):
                pending.put(chunk)
                sink(chunk)
                size += len(chunk)
        finally:
            pending.put(None)
            hasher.join()
        actual = f"blake3:{whole.hexdigest()}"
        if actual != digest:
            raise ArtifactCorrupted(
                f"file {digest} rebuilt from its chunks in {self.uri} hashes to {actual}; its "
                "recipe is damaged. Restore it from a backup or re-log the artifact"
            )
        return size

    # -- maintenance -----------------------------------------------------------------------
    def collect_chunks(
        self, grace_seconds: float, dry_run: bool = False, dropped: Iterable[str] = ()
    ) -> ChunkGcReport:
        """Remove packs no recipe uses; repack mostly-unused ones (see ``chunkgc.py``).

        ``dropped``: files a dry run would have deleted; their recipes count as gone.
        """
        from archivist.stores.blobs.chunkgc import collect

        gone = {f"recipe:{split(d)[1]}" for d in dropped if split(d)[0] == "blake3"}
        return collect(self, grace_seconds, dry_run, gone)



class _Chain(io.RawIOBase):
    """``head`` then the rest of ``rest``."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return bytes(self._head) + self._rest.read()
        out = bytearray()
        while len(out) < size:
            part = super().read(size - len(out))
            if not part:
                break
            out += part
        return bytes(out)


def _whole_digest(view: memoryview) -> str:
    """The file's identity: blake3 over the mapped bytes, on all cores."""
    h = new_hasher("blake3", threads=True)
    h.update(view)
    return f"blake3:{h.hexdigest()}"


def _zstd() -> Any:
    from archivist.stores.blobs.codec import compressor

    return compressor()


def _worth_compressing(sample: memoryview) -> bool:
    from archivist.stores.blobs.codec import worth_compressing

    return worth_compressing(bytes(sample))


def _encode(data: bytes | memoryview, zc: Any) -> tuple[bytes | memoryview, int]:
    if zc is not None:
        packed: bytes = zc.compress(data)
        if len(packed) <= len(data) * 0.9:
            return packed, ZSTD
    return data, RAW


def _decode(stored: memoryview, entry: PackEntry, pack: str, uri: str) -> bytes | memoryview:
    if entry.codec == RAW:
        return stored
    if entry.codec == ZSTD:
        import zstandard

        try:
            out: bytes = zstandard.ZstdDecompressor().decompress(stored, max_output_size=entry.length)
            return out
        except zstandard.ZstdError as e:
            raise ArtifactCorrupted(
                f"chunk {entry.chunk.hex()} in {pack} at {uri} cannot be decompressed ({e})"
            ) from None
    raise ArtifactCorrupted(f"chunk {entry.chunk.hex()} in {pack} at {uri} has unknown codec {entry.codec}")


def with_chunking(inner: BlobStore) -> BlobStore:
    """``inner`` behind the chunk layer, unless ``ARCHIVIST_CHUNK_MIN_BYTES`` is 0.

    A local store keeps its chunk index in ``<root>/chunks.sqlite``; other stores keep it
    in memory and fill it from the packs' own tables when first needed.
    """
    from archivist import config

    min_file = config.CHUNK_MIN_BYTES.get()
    if min_file <= 0:
        return inner
    root = getattr(inner, "root", None)
    index = os.path.join(root, "chunks.sqlite") if isinstance(root, (str, os.PathLike)) else None
    return ChunkedBlobStore(inner, index_path=index, min_file=min_file)
