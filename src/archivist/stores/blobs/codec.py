"""Per-blob zstd compression: used only where a sample shows it pays."""

from __future__ import annotations

from typing import Any, BinaryIO

__all__ = ["compressor", "decompressing_reader", "worth_compressing"]

_MIN_SIZE = 512
_MIN_SAVING = 0.10  # compress only if the sample shrinks by at least 10%
_SAMPLE = 64 << 10
_LEVEL = 3


def worth_compressing(sample: bytes) -> bool:
    """Whether a blob starting with ``sample`` is worth storing compressed."""
    if len(sample) < _MIN_SIZE:
        return False
    head = sample[:_SAMPLE]
    packed = compressor().compress(head)
    return len(packed) <= len(head) * (1 - _MIN_SAVING)


def compressor() -> Any:
    import zstandard

    return zstandard.ZstdCompressor(level=_LEVEL)


def decompressing_reader(raw: BinaryIO) -> BinaryIO:
    import zstandard

    return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)  # type: ignore[no-any-return]
