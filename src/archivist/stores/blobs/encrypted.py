"""Encryption at rest: every object AEAD-encrypted, every name a keyed digest.

``EncryptedBlobStore`` sits between the chunk layer and a backend. An object named
``n`` (a content digest, a pack or a recipe) is stored as the self-named object
``enc:<blake3 keyed by the names key of n>`` (see ``selfnamed.py``)::

    header(name = keyed n) | meta = salt (16) + AES-GCM(name n) | segments

Each object has its own subkey (keyed BLAKE3 of a random salt under the data key); its
bytes are cut into 256 KiB segments, each sealed with AES-256-GCM under the subkey with
the segment number as nonce and the stored name plus the segment number as associated
data, so segments cannot be altered, swapped between positions or objects, and a range
of a pack can be read without decrypting the rest. Stored names and bytes say nothing
about the content, yet the same content always gets the same name, so dedup still works
inside the store. Content digests are checked after decryption as in any store.
"""

from __future__ import annotations

import io
import os
import struct
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

from archivist.errors import ArtifactCorrupted, InvalidArgument, InvalidState, PermissionDenied
from archivist.stores.blobs.base import BlobStore, VerifyingReader
from archivist.stores.blobs.hashing import ALGORITHMS, CHUNK, new_hasher, split
from archivist.stores.blobs.keyring import (
    KEYRING,
    KEYRING_NEXT,
    DataKeys,
    aead,
    create_keyring,
    master_key,
    open_keyring,
)
from archivist.stores.blobs.selfnamed import HEADER, encode_header, parse_header
from archivist.stores.blobs.streams import IterReader

__all__ = ["EncryptedBlobStore", "rotate_key", "with_encryption"]

SEGMENT = 256 << 10
_TAG = 16
_NAME_NONCE = b"\xff" * 12
_META = struct.Struct("<16s")


def _nonce(i: int) -> bytes:
    return i.to_bytes(12, "little")


class _Sealed:
    """What is needed to open one stored object."""

    def __init__(self, stored: str, subkey: bytes, payload: int) -> None:
        self.stored = stored
        self.aead = aead(subkey)
        self.payload = payload
        self.aad = stored.encode()

    def seal(self, i: int, data: bytes | memoryview) -> bytes:
        sealed: bytes = self.aead.encrypt(_nonce(i), bytes(data), self.aad + i.to_bytes(8, "little"))
        return sealed

    def open(self, i: int, data: bytes | memoryview, where: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            plain: bytes = self.aead.decrypt(_nonce(i), bytes(data), self.aad + i.to_bytes(8, "little"))
            return plain
        except InvalidTag:
            raise ArtifactCorrupted(
                f"encrypted object {where} fails authentication at segment {i}: its bytes were "
                "altered or damaged; restore it from a backup or re-log the artifact"
            ) from None


def _read_exact(f: BinaryIO, n: int) -> bytes:
    parts = []
    while n > 0:
        part = f.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


class EncryptedBlobStore(BlobStore):
    """Objects of ``inner`` encrypted under a store data key (see the module docstring).

    Open one with :func:`with_encryption`, which reads the store's keyring.
    """

    def __init__(self, inner: BlobStore, keys: DataKeys) -> None:
        self.inner = inner
        self.uri = inner.uri
        self.algorithm = inner.algorithm
        self._keys = keys
        self.chunk_key = keys.chunks  # the chunk layer keys chunk ids with it
        self._sealed: dict[str, _Sealed] = {}
        self._lock = threading.Lock()
        root = getattr(inner, "root", None)
        if root is not None:
            self.root = root  # where the chunk layer keeps its index

    # -- names -------------------------------------------------------------------------
    def _stored(self, name: str) -> str:
        import blake3

        split(name)
        return "enc:" + blake3.blake3(name.encode(), key=self._keys.names).hexdigest()

    def _new(self, name: str) -> tuple[_Sealed, bytes]:
        """A fresh subkey for storing ``name``: (its sealer, the object's header)."""
        import blake3

        stored = self._stored(name)
        salt = os.urandom(16)
        subkey = blake3.blake3(salt, key=self._keys.data).digest()
        sealed = _Sealed(stored, subkey, 0)
        meta = salt + sealed.aead.encrypt(_NAME_NONCE, name.encode(), b"name")
        header = encode_header(bytes.fromhex(stored[4:]), meta)
        sealed.payload = len(header)
        return sealed, header

    def _opened(self, name: str, stored: str, head: bytes | None = None) -> _Sealed:
        """The sealer of a stored object, from its header (cached)."""
        with self._lock:
            cached = self._sealed.get(stored)
        if cached is not None:
            return cached
        import blake3
        from cryptography.exceptions import InvalidTag

        where = f"{stored} in {self.uri}"
        if head is None:
            head = self.inner.read_range(stored, 0, HEADER + 256)
        _, meta, payload = parse_header(head, where)
        salt, sealed_name = meta[:16], meta[16:]
        sealed = _Sealed(stored, blake3.blake3(salt, key=self._keys.data).digest(), payload)
        try:
            plain = sealed.aead.decrypt(_NAME_NONCE, sealed_name, b"name").decode()
        except InvalidTag:
            raise ArtifactCorrupted(
                f"encrypted object {where} fails authentication (its header was altered or "
                "the store's key changed); restore it from a backup"
            ) from None
        if name and plain != name:
            raise ArtifactCorrupted(f"encrypted object {where} holds {plain!r}, not {name!r}")
        with self._lock:
            if len(self._sealed) > 4096:
                self._sealed.clear()
            self._sealed[stored] = sealed
        return sealed

    def _plain_name(self, stored: str) -> str:
        with self._lock:
            self._sealed.pop(stored, None)
        head = self.inner.read_range(stored, 0, HEADER + 256)
        import blake3

        _, meta, _ = parse_header(head, stored)
        salt, sealed_name = meta[:16], meta[16:]
        box = aead(blake3.blake3(salt, key=self._keys.data).digest())
        from cryptography.exceptions import InvalidTag

        try:
            name: str = box.decrypt(_NAME_NONCE, sealed_name, b"name").decode()
            return name
        except InvalidTag:
            raise ArtifactCorrupted(f"encrypted object {stored} in {self.uri} fails authentication") from None

    # -- the five primitives -------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return self.inner.has(self._stored(digest))

    def put(self, digest: str, data: BinaryIO) -> None:
        algorithm, expected = split(digest)
        hasher = new_hasher(algorithm) if algorithm in ALGORITHMS else None
        sealed, header = self._new(digest)

        def parts() -> Iterator[bytes]:
            yield header
            i = 0
            while True:
                seg = _read_exact(data, SEGMENT)
                if not seg:
                    break
                if hasher is not None:
                    hasher.update(seg)
                yield sealed.seal(i, seg)
                i += 1
                if len(seg) < SEGMENT:
                    break
            if hasher is not None and hasher.hexdigest() != expected:
                raise InvalidArgument(
                    f"bytes given for blob {digest} hash to {algorithm}:{hasher.hexdigest()}; "
                    "the source changed while it was being stored or the digest is wrong"
                )

        with self._lock:
            self._sealed.pop(sealed.stored, None)
        self.inner.put(sealed.stored, io.BufferedReader(IterReader(parts()), CHUNK))  # type: ignore[arg-type]

    def open(self, digest: str) -> BinaryIO:
        stored = self._stored(digest)
        raw = self.inner.open(stored)
        try:
            head = _read_exact(raw, HEADER)
            meta_len = int.from_bytes(head[HEADER - 4 : HEADER], "little") if len(head) == HEADER else 0
            head += _read_exact(raw, meta_len)
            sealed = self._opened(digest, stored, head)
        except BaseException:
            raw.close()
            raise
        where = f"{stored} in {self.uri}"

        def plain() -> Iterator[bytes]:
            with raw:
                i = 0
                while seg := _read_exact(raw, SEGMENT + _TAG):
                    yield sealed.open(i, seg, where)
                    i += 1

        reader: Any = IterReader(plain())
        if split(digest)[0] in ALGORITHMS:
            reader = VerifyingReader(reader, digest, f"{where} (encrypted)")
        return io.BufferedReader(reader, CHUNK)  # type: ignore[return-value]

    def delete(self, digest: str) -> None:
        self.inner.delete(self._stored(digest))

    def iter_digests(self) -> Iterator[str]:
        for stored in self.inner.iter_digests():
            if stored.startswith("enc:"):
                try:
                    yield self._plain_name(stored)
                except ArtifactCorrupted:
                    continue  # verify of the files that use it reports it

    # -- derived ---------------------------------------------------------------------------
    def read_range(self, digest: str, offset: int, length: int) -> bytes:
        stored = self._stored(digest)
        sealed = self._opened(digest, stored)
        if length <= 0:
            return b""
        first, last = offset // SEGMENT, (offset + length - 1) // SEGMENT
        raw = self.inner.read_range(
            stored, sealed.payload + first * (SEGMENT + _TAG), (last - first + 1) * (SEGMENT + _TAG)
        )
        where = f"{stored} in {self.uri}"
        out = bytearray()
        for k, i in enumerate(range(first, last + 1)):
            seg = raw[k * (SEGMENT + _TAG) : (k + 1) * (SEGMENT + _TAG)]
            if not seg:
                break
            out += sealed.open(i, seg, where)
        start = offset - first * SEGMENT
        return bytes(out[start : start + length])

    def touch(self, digest: str) -> bool:
        return self.inner.touch(self._stored(digest))

    def reuse(self, digest: str) -> bool:
        return self.inner.reuse(self._stored(digest))

    def quarantine(self, digest: str) -> str | None:
        return self.inner.quarantine(self._stored(digest))

    def quarantined(self, digest: str) -> list[str]:
        return self.inner.quarantined(self._stored(digest))

    def age_seconds(self, digest: str) -> float:
        return self.inner.age_seconds(self._stored(digest))

    def delete_if_older(self, digest: str, seconds: float) -> bool:
        return self.inner.delete_if_older(self._stored(digest), seconds)

    def stored_size(self, digest: str) -> int:
        return self.inner.stored_size(self._stored(digest))

    def clean_tmp(self, older_than: float) -> int:
        return self.inner.clean_tmp(older_than)


def _read_keys(inner: BlobStore, master: bytes) -> DataKeys:
    """Open the keyring; during (or after an interrupted) rotation, the next one."""
    names = [n for n in (KEYRING, KEYRING_NEXT) if inner.has(n)]
    for i, name in enumerate(names):
        try:
            return open_keyring(master, inner.read_bytes(name), inner.uri)
        except PermissionDenied:
            if i + 1 == len(names):
                raise
    raise PermissionDenied(f"the keyring of {inner.uri} is gone")  # pragma: no cover


def with_encryption(inner: BlobStore) -> BlobStore:
    """``inner`` behind encryption when its keyring says so (or a key is set for a new store).

    Raises:
        PermissionDenied: the store is encrypted and no key (or the wrong one) is set.
        InvalidArgument: a key is set but the store already holds unencrypted objects
            (encryption is chosen when a store is created).
    """
    encrypted = inner.has(KEYRING) or inner.has(KEYRING_NEXT)
    master = master_key()
    if encrypted:
        if master is None:
            raise PermissionDenied(
                f"the artifact store {inner.uri} is encrypted; set ARCHIVIST_ENCRYPTION_KEY_FILE "
                "(or ARCHIVIST_ENCRYPTION_KEY) to its key"
            )
        return EncryptedBlobStore(inner, _read_keys(inner, master))
    if master is None:
        return inner
    if next(iter(inner.iter_digests()), None) is not None:
        raise InvalidArgument(
            f"an encryption key is set but the artifact store {inner.uri} already holds "
            "unencrypted artifacts; encryption is chosen when a store is created: unset "
            "ARCHIVIST_ENCRYPTION_KEY_FILE / ARCHIVIST_ENCRYPTION_KEY, or use a new store"
        )
    stored, keys = create_keyring(master)
    inner.put(KEYRING, io.BytesIO(stored))
    return EncryptedBlobStore(inner, keys)


def rotate_key(inner: BlobStore, old_master: bytes, new_master: bytes) -> None:
    """Re-wrap the store's data key under ``new_master``; no object is rewritten.

    Crash-safe on backends that never overwrite an object (S3 conditional creates): the
    new keyring is stored beside the old one first, and readers try both.

    Raises:
        InvalidArgument: the store is not encrypted.
        PermissionDenied: ``old_master`` is not the store's key.
    """
    from archivist.stores.blobs.keyring import rewrap_keyring

    if not (inner.has(KEYRING) or inner.has(KEYRING_NEXT)):
        raise InvalidArgument(
            f"the artifact store {inner.uri} is not encrypted; encryption is chosen when a "
            "store is created (set ARCHIVIST_ENCRYPTION_KEY_FILE before its first artifact)"
        )
    current = KEYRING if inner.has(KEYRING) else KEYRING_NEXT
    old = inner.read_bytes(current)
    nxt = rewrap_keyring(old_master, new_master, old, inner.uri, KEYRING_NEXT)
    stored = rewrap_keyring(old_master, new_master, old, inner.uri, KEYRING)
    open_keyring(new_master, stored, inner.uri)  # the new keyring opens before it is stored
    inner.delete(KEYRING_NEXT)
    inner.put(KEYRING_NEXT, io.BytesIO(nxt))
    inner.delete(KEYRING)
    inner.put(KEYRING, io.BytesIO(stored))
    if inner.read_bytes(KEYRING) != stored:
        raise InvalidState(f"the artifact store {inner.uri} did not store the new keyring; try again")
    inner.delete(KEYRING_NEXT)
