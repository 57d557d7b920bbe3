"""Run one MLflow-style script unchanged, with ``mlflow`` aliased to ``archivist``.

Usage: ``python run_script.py path/to/script.py`` (the working directory is the script's
scratch space; the test gives each script a fresh temporary one).
"""

from __future__ import annotations

import os
import runpy
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import alias


def main() -> None:
    script = sys.argv[1]
    alias.install()
    sys.argv = [script, *sys.argv[2:]]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
