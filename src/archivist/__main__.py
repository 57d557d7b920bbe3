"""``python -m archivist``: the command line."""

from archivist.cli import main

if __name__ == "__main__":
    main()
