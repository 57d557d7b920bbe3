"""``import archivist`` stays light: no heavy module is imported with it."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["sqlalchemy", "alembic", "numpy", "pandas", "sklearn", "yaml", "blake3", "zstandard",
         "PIL", "matplotlib", "boto3", "starlette", "httpx", "rich", "click", "cloudpickle"]


def test_no_heavy_modules_on_import() -> None:
    code = (
        "import sys, json, time\n"
        "t = time.perf_counter()\n"
        "import archivist\n"
        "elapsed = time.perf_counter() - t\n"
        f"print(json.dumps([[m for m in {HEAVY!r} if m in sys.modules], elapsed]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, _elapsed = json.loads(out.stdout)
    assert loaded == []
