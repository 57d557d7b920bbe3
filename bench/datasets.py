"""Input data for the workloads, written in chunks (never a whole file in memory)."""

from __future__ import annotations

import os
import random
from pathlib import Path

MiB = 1 << 20
_CHUNK = 16 * MiB


def random_file(path: Path, size: int) -> Path:
    """``size`` bytes from ``os.urandom``, written ``_CHUNK`` bytes at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(_CHUNK, left)
            f.write(os.urandom(n))
            left -= n
    return path


def _text(rng: random.Random, vocab: list[str], tag: str, size: int) -> bytes:
    """CSV-like log lines: compresses several times over, but unique per ``tag``."""
    out: list[str] = []
    length = line = 0
    while length < size:
        words = rng.choices(vocab, k=400)
        block = "".join(
            f"{tag},{line + k},{words[4 * k]},{words[4 * k + 1]} {words[4 * k + 2]},"
            f"{rng.random():.5f},{words[4 * k + 3]}\n"
            for k in range(100)
        )
        line += 100
        out.append(block)
        length += len(block)
    return "".join(out).encode()[:size]


def mixed_dir(path: Path, files: int, file_size: int, *, seed: int = 7) -> int:
    """``files`` files of ``file_size`` bytes: even ones compressible text, odd ones random.

    Returns the number of unique bytes written (every file differs from the others).
    """
    rng = random.Random(seed)
    vocab = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 10)))
        for _ in range(2000)
    ]
    path.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        if i % 2 == 0:
            data = _text(rng, vocab, f"f{i:03d}", file_size)
            (path / f"text_{i:03d}.csv").write_bytes(data)
        else:
            (path / f"random_{i:03d}.bin").write_bytes(os.urandom(file_size))
    return files * file_size


def small_files(path: Path, files: int, file_size: int) -> int:
    """``files`` random files of ``file_size`` bytes in one folder. Returns bytes written."""
    path.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (path / f"f{i:05d}.bin").write_bytes(os.urandom(file_size))
    return files * file_size
