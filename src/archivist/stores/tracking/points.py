"""Metric points packed into chunks: one row per (run, key, batch) instead of one per point.

A chunk holds ``n`` points as three little-endian arrays — steps (int64), timestamps
(int64) and values (float64; NaN and ±inf are plain IEEE values here) — so logging
100,000 points in batches of 1,000 writes hundreds of rows, not 100,000.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence

__all__ = ["decode", "encode"]

_SWAP = sys.byteorder != "little"


def encode(steps: Sequence[int], timestamps: Sequence[int], values: Sequence[float]) -> bytes:
    ints = (array("q", steps), array("q", timestamps))
    floats = array("d", values)
    if _SWAP:
        for part in ints:
            part.byteswap()
        floats.byteswap()
    return ints[0].tobytes() + ints[1].tobytes() + floats.tobytes()


def decode(data: bytes, n: int) -> tuple[array[int], array[int], array[float]]:
    if len(data) != 24 * n:
        raise ValueError(f"metric chunk holds {len(data)} bytes, expected {24 * n} for {n} points")
    steps, timestamps, values = array("q"), array("q"), array("d")
    steps.frombytes(data[: 8 * n])
    timestamps.frombytes(data[8 * n : 16 * n])
    values.frombytes(data[16 * n :])
    if _SWAP:
        for part in (steps, timestamps, values):
            part.byteswap()
    return steps, timestamps, values
