"""What a saved model needs installed, derived in milliseconds without a subprocess.

A pickle names every class and function it needs by module (``GLOBAL`` and
``STACK_GLOBAL`` opcodes; cloudpickle adds ``subimport('numpy')`` calls for modules used
by pickled functions). :func:`requirements_from_pickle` walks the opcodes, keeps the
top-level modules that are not in the standard library, finds the installed
distribution providing each one by reading the ``*.dist-info`` folders on ``sys.path``
once per process, and pins their versions: ``["numpy==2.4.6", "scikit-learn==1.9.1"]``.

The remaining helpers write MLflow's ``requirements.txt`` / ``python_env.yaml`` /
``conda.yaml`` layouts, combine user-given requirements with derived ones, and compare
recorded versions with installed ones when a model is loaded.
"""

from __future__ import annotations

import _compat_pickle
import functools
import os
import platform
import re
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from archivist._warnings import warn
from archivist.errors import InvalidArgument

__all__ = [
    "check_versions",
    "conda_yaml",
    "environment_info",
    "modules_in_pickle",
    "process_requirements",
    "python_env_yaml",
    "refresh_distributions",
    "requirements_for_modules",
    "requirements_from_pickle",
    "warn_mismatches",
    "write_environment",
]

# --------------------------------------------------------------------------- pickle walking

_STRING_OPS = frozenset(
    {
        "UNICODE",
        "BINUNICODE",
        "SHORT_BINUNICODE",
        "BINUNICODE8",
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
    }
)
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_SILENT_OPS = frozenset({"PROTO", "FRAME", "STOP"})  # push nothing
# cloudpickle pickles a module used by a pickled function as subimport('<module name>').
_SUBIMPORTS = frozenset({("cloudpickle.cloudpickle", "subimport"), ("cloudpickle", "subimport")})
_SUBIMPORT = object()  # stands for the subimport function on the stack and in the memo


def modules_in_pickle(data: bytes) -> set[str]:
    """Dotted names of every module a pickle stream imports when loaded.

    Raises:
        InvalidArgument: ``data`` is not a complete pickle stream.
    """
    import pickletools

    modules: set[str] = set()
    memo: dict[int, object] = {}
    last: list[object] = [None, None]  # the two most recent pushes (strings or None)
    subimport_pending = False

    def push(value: object) -> None:
        last[0], last[1] = last[1], value

    try:
        for op, arg, _pos in pickletools.genops(data):
            name = op.name
            if name in _STRING_OPS or name in _GET_OPS:
                value = arg if name in _STRING_OPS else memo.get(arg)  # type: ignore[arg-type]
                if value is _SUBIMPORT:  # subimport again, fetched from the memo
                    subimport_pending = True
                elif subimport_pending and isinstance(value, str):
                    modules.add(value)
                    subimport_pending = False
                push(value)
            elif name in _PUT_OPS:
                memo[arg] = last[1]  # type: ignore[index]
            elif name == "MEMOIZE":
                memo[len(memo)] = last[1]
            elif name in ("GLOBAL", "INST"):
                module, _, attr = str(arg).partition(" ")
                modules.add(module)
                subimport_pending = (module, attr) in _SUBIMPORTS
                push(_SUBIMPORT if subimport_pending else None)
            elif name == "STACK_GLOBAL":
                pushed_module, pushed_attr = last
                if isinstance(pushed_module, str) and isinstance(pushed_attr, str):
                    modules.add(pushed_module)
                    subimport_pending = (pushed_module, pushed_attr) in _SUBIMPORTS
                push(_SUBIMPORT if subimport_pending else None)
            elif name not in _SILENT_OPS:
                push(None)
    except ValueError as e:
        raise InvalidArgument(
            f"data is not a complete pickle stream ({e}); give the bytes of the pickled model"
        ) from None
    return modules


# --------------------------------------------------------------------------- distributions


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _headers(meta_dir: Path) -> tuple[str, str] | None:
    """(Name, Version) from a distribution's METADATA/PKG-INFO headers."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(meta_dir / filename, encoding="utf-8", errors="replace") as f:
                head = f.read(16384).split("\n\n", 1)[0]
        except OSError:
            continue
        name = re.search(r"^Name:[ \t]*(\S+)", head, re.M)
        version = re.search(r"^Version:[ \t]*(\S+)", head, re.M)
        if name and version:
            return name.group(1), version.group(1)
    return None


@functools.cache
def _file_list(meta_dir: Path) -> str:
    """The distribution's installed-file list (RECORD or its egg-info equivalents)."""
    for filename in ("RECORD", "installed-files.txt", "SOURCES.txt"):
        try:
            return (meta_dir / filename).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return ""


def _provides(meta_dir: Path, top: str) -> bool:
    """Whether a distribution installs the top-level module or package ``top``."""
    try:
        listed = (meta_dir / "top_level.txt").read_text(encoding="utf-8", errors="replace")
        return top in {n.replace("/", ".").split(".")[0] for n in listed.split()}
    except OSError:
        pass
    files = _file_list(meta_dir)
    if top not in files:  # fast rejection before the line-anchored match
        return False
    entry = re.escape(top) + r"(?:/|\.py,|\.py$|\.[\w.-]*\.(?:so|pyd)[,\n])"
    return re.search('^"?' + entry, files, re.M) is not None


@functools.cache
def _metadata_folders() -> dict[str, tuple[Path, ...]]:
    """sys.path entry (real path) -> the distribution metadata folders in it.

    A distribution installed in two places counts only where it comes first on sys.path.
    """
    out: dict[str, tuple[Path, ...]] = {}
    seen: set[str] = set()
    for entry in sys.path:
        root = os.path.realpath(entry or ".")
        try:
            names = sorted(os.listdir(root))
        except OSError:
            continue
        metas = []
        for name in names:
            stem, _, suffix = name.rpartition(".")
            if suffix in ("dist-info", "egg-info"):
                key = _canonical(stem.split("-", 1)[0])  # <name>-<version>.dist-info
                if key not in seen:
                    seen.add(key)
                    metas.append(Path(root, name))
        out.setdefault(root, tuple(metas))
    return out


def _import_root(top: str) -> tuple[str | None, bool]:
    """(sys.path entry that ``top`` is imported from, whether it is a namespace package)."""
    module = sys.modules.get(top)
    origin = getattr(module, "__file__", None)
    is_package = hasattr(module, "__path__")
    if module is None:
        import importlib.util

        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return None, False
        if spec is None:
            return None, False
        origin = spec.origin if spec.has_location else None
        is_package = spec.submodule_search_locations is not None
    if not isinstance(origin, str):
        return None, is_package  # namespace packages have no single origin
    parent = os.path.dirname(os.path.realpath(origin))
    return (os.path.dirname(parent) if is_package else parent), False


def _dist_key(meta: Path) -> str:
    return _canonical(meta.name.split("-", 1)[0].removesuffix(".egg-info"))


def _looks_like(module: str, dist: str) -> bool:
    """Whether the module's letters appear in order in the distribution's name
    (sklearn ~ scikit-learn, yaml ~ pyyaml, bs4 ~ beautifulsoup4)."""
    letters = iter(dist.replace("-", ""))
    return all(c in letters for c in module.lower().replace("_", ""))


@functools.cache
def _providers(top: str) -> tuple[Path, ...]:
    """Metadata folders of the installed distributions that provide module ``top``."""
    folders = _metadata_folders()
    key = _canonical(top)
    # Most distributions are named after their module (numpy, scipy, cloudpickle).
    for metas in folders.values():
        for meta in metas:
            if _dist_key(meta) == key and _provides(meta, top):
                return (meta,)
    root, namespace = _import_root(top)
    if root is None and not namespace:
        return ()  # not importable: nothing installed provides it
    found = []
    for where, metas in folders.items():
        if root is not None and where != root:
            continue
        # Look at likely names first; each miss costs a file read.
        for meta in sorted(metas, key=lambda m: not _looks_like(top, _dist_key(m))):
            if _provides(meta, top):
                if not namespace:
                    return (meta,)
                found.append(meta)
    return tuple(found)


def refresh_distributions() -> None:
    """Forget the cached view of installed distributions (after installing packages in
    a running process)."""
    _metadata_folders.cache_clear()
    _providers.cache_clear()
    _headers.cache_clear()
    _file_list.cache_clear()


def _narrow(dists: tuple[Path, ...], module: str) -> tuple[Path, ...]:
    """For a namespace package shared by several distributions, keep the ones that hold
    the module's sub-package (``google.protobuf`` -> protobuf)."""
    parts = module.split(".")
    if len(dists) < 2 or len(parts) < 2:
        return dists
    pattern = re.compile('^"?' + re.escape("/".join(parts[:2])) + "[/.]", re.M)
    return tuple(d for d in dists if pattern.search(_file_list(d))) or dists


_NOT_PACKAGES = frozenset({"__main__", "__mp_main__", "__builtin__", "copy_reg"})


def _top_level(module: str) -> str:
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)  # Python 2 names in old pickles
    return module.split(".", 1)[0]


def _pin(name: str, version: str) -> str:
    # Local version labels (2.1.0+cu118) are not on PyPI; pin the public part.
    return f"{name}=={version.split('+', 1)[0]}"


def requirements_for_modules(modules: Iterable[str]) -> list[str]:
    """Pinned requirements (``name==version``) for the distributions providing ``modules``.

    Standard-library modules are dropped, and so are modules no installed distribution
    provides (local code, which cannot be pinned). The result is sorted by name.
    """
    pins: dict[str, str] = {}
    for module in modules:
        top = _top_level(module)
        if not top.isidentifier() or top in sys.stdlib_module_names or top in _NOT_PACKAGES:
            continue
        for meta_dir in _narrow(_providers(top), module):
            headers = _headers(meta_dir)
            if headers is not None:
                pins[_canonical(headers[0])] = _pin(*headers)
    return [pins[k] for k in sorted(pins)]


def requirements_from_pickle(data: bytes, extra_modules: Iterable[str] = ()) -> list[str]:
    """Pinned requirements of the modules a pickle stream references, plus ``extra_modules``.

    Args:
        data: the pickle bytes (pickle, cloudpickle or joblib's pickle part).
        extra_modules: more module names to include, e.g. ``["cloudpickle"]``.

    Returns:
        Sorted lines like ``["numpy==2.4.6", "scikit-learn==1.9.1"]``.

    Raises:
        InvalidArgument: ``data`` is not a pickle stream.

    Example:
        >>> import pickle, numpy
        >>> requirements_from_pickle(pickle.dumps(numpy.zeros(2)))
        ['numpy==2.4.6']
    """
    return requirements_for_modules(modules_in_pickle(data) | set(extra_modules))


# --------------------------------------------------------------------------- environment files


def _installed_version(name: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _pinned_or_bare(name: str) -> str:
    version = _installed_version(name)
    return name if version is None else _pin(name, version)


def python_env_yaml(requirements: Sequence[str] | None = None) -> str:
    """MLflow's ``python_env.yaml`` for the running interpreter.

    Args:
        requirements: listed inline when given; by default the file refers to
            ``requirements.txt`` beside it (``-r requirements.txt``), as MLflow writes it.

    Example:
        >>> print(python_env_yaml())  # doctest: +SKIP
        python: 3.11.7
        build_dependencies:
        - pip==23.2.1
        - setuptools==65.5.0
        - wheel==0.45.1
        dependencies:
        - -r requirements.txt
    """
    import yaml

    doc = {
        "python": platform.python_version(),
        "build_dependencies": [_pinned_or_bare(n) for n in ("pip", "setuptools", "wheel")],
        "dependencies": ["-r requirements.txt"] if requirements is None else list(requirements),
    }
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


def conda_yaml(requirements: Sequence[str]) -> str:
    """MLflow's ``conda.yaml``: conda-forge python of this version, pip, and ``requirements``."""
    import yaml

    pip = _installed_version("pip")
    doc = {
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={platform.python_version()}",
            f"pip<={pip}" if pip else "pip",
            {"pip": list(requirements)},
        ],
        "name": "mlflow-env",
    }
    return yaml.safe_dump(doc, default_flow_style=False)


def write_environment(directory: str | os.PathLike[str], requirements: Sequence[str]) -> None:
    """Write ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` into ``directory``."""
    from archivist.models.model import _write_text

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    _write_text(root / "requirements.txt", "".join(f"{r}\n" for r in requirements))
    _write_text(root / "python_env.yaml", python_env_yaml())
    _write_text(root / "conda.yaml", conda_yaml(requirements))


# --------------------------------------------------------------------------- user requirements

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirement_name(line: str) -> str | None:
    match = _NAME.match(line)
    return _canonical(match.group(1)) if match else None


def _clean_lines(lines: Iterable[str]) -> list[str]:
    out = []
    for line in lines:
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            out.append(line)
    return out


def _read_requirements(value: object, what: str) -> list[str]:
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        try:
            return _clean_lines(path.read_text(encoding="utf-8").splitlines())
        except OSError as e:
            raise InvalidArgument(
                f"{what} '{value}' is not a readable requirements file ({e.strerror}); give "
                "its path, or a list of requirement strings"
            ) from None
    if isinstance(value, Iterable):
        items = list(value)
        bad = [v for v in items if not isinstance(v, str)]
        if bad:
            raise InvalidArgument(f"{what} holds non-strings {bad!r}; give requirement strings")
        return _clean_lines(items)
    raise InvalidArgument(
        f"{what} is {value!r}; give a list of requirement strings or a requirements file path"
    )


def _conda_pip(conda_env: object) -> list[str]:
    env = conda_env
    if isinstance(env, str | os.PathLike):
        import yaml

        try:
            env = yaml.safe_load(Path(env).read_text(encoding="utf-8"))
        except OSError as e:
            raise InvalidArgument(
                f"conda_env '{conda_env}' is not a readable file ({e.strerror}); give a dict "
                "or the path of a conda.yaml"
            ) from None
        except yaml.YAMLError as e:
            raise InvalidArgument(f"conda_env '{conda_env}' is not valid YAML ({e})") from None
    if not isinstance(env, Mapping) or not isinstance(env.get("dependencies", []), list):
        raise InvalidArgument(
            f"conda_env {conda_env!r} is not a conda environment; expected a mapping with a "
            "'dependencies' list"
        )
    for dep in env.get("dependencies", []):
        if isinstance(dep, Mapping) and "pip" in dep:
            return _read_requirements(dep["pip"], "conda_env pip section")
    return []


def _dedupe(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def process_requirements(
    default: Sequence[str],
    pip_requirements: Iterable[str] | str | os.PathLike[str] | None = None,
    extra_pip_requirements: Iterable[str] | str | os.PathLike[str] | None = None,
    conda_env: Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> list[str]:
    """The requirements to record for a model.

    Args:
        default: the derived requirements (e.g. from :func:`requirements_from_pickle`).
        pip_requirements: replaces ``default`` (a list, or a requirements file path).
        extra_pip_requirements: added to ``default``; an entry naming a package that is
            already in ``default`` replaces that entry.
        conda_env: a conda environment (dict or YAML path); its ``pip`` list is used.

    Raises:
        InvalidArgument: more than one of the three options is given, or one is unreadable.

    Example:
        >>> process_requirements(["numpy==2.4.6"], extra_pip_requirements=["numpy<3", "rich"])
        ['numpy<3', 'rich']
    """
    given = [
        name
        for name, value in (
            ("pip_requirements", pip_requirements),
            ("extra_pip_requirements", extra_pip_requirements),
            ("conda_env", conda_env),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise InvalidArgument(
            f"{' and '.join(given)} were given together; give only one: pip_requirements "
            "replaces the derived requirements, extra_pip_requirements adds to them, "
            "conda_env supplies a whole environment"
        )
    if pip_requirements is not None:
        return _dedupe(_read_requirements(pip_requirements, "pip_requirements"))
    if conda_env is not None:
        return _dedupe(_conda_pip(conda_env))
    base = _read_requirements(default, "default requirements")
    if extra_pip_requirements is None:
        return _dedupe(base)
    extra = _read_requirements(extra_pip_requirements, "extra_pip_requirements")
    replaced = {n for n in map(_requirement_name, extra) if n is not None}
    return _dedupe([r for r in base if _requirement_name(r) not in replaced] + extra)


# --------------------------------------------------------------------------- version checks


def environment_info() -> dict[str, str]:
    """The running interpreter and platform, for recording beside a model."""
    return {
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "system": platform.system(),
        "machine": platform.machine(),
    }


_PINNED = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;,]+)")


def check_versions(requirements: Iterable[str]) -> list[tuple[str, str, str | None]]:
    """Pinned requirements whose installed version differs from the recorded one.

    Returns:
        ``(package, recorded, installed)`` for each mismatch; ``installed`` is None when
        the package is not installed. Unpinned lines are not checked; local version
        labels (``+cu118``) are ignored.
    """
    mismatches = []
    for line in requirements:
        match = _PINNED.match(line)
        if not match:
            continue
        name, recorded = match.groups()
        installed = _installed_version(name)
        if installed is None or installed.split("+", 1)[0] != recorded.split("+", 1)[0]:
            mismatches.append((name, recorded, installed))
    return mismatches


_warned: set[tuple[str, str, str | None]] = set()
_warned_lock = threading.Lock()


def warn_mismatches(requirements: Iterable[str]) -> list[tuple[str, str, str | None]]:
    """Warn (UserWarning) about each version mismatch, once per process per mismatch.

    Returns:
        All mismatches found, including those warned about before.
    """
    mismatches = check_versions(requirements)
    for mismatch in mismatches:
        with _warned_lock:
            if mismatch in _warned:
                continue
            _warned.add(mismatch)
        name, recorded, installed = mismatch
        now = "it is not installed" if installed is None else f"{name}=={installed} is installed"
        warn(
            f"the model was saved with {name}=={recorded} but {now}; predictions may differ or "
            f"loading may fail; install {name}=={recorded} to match"
        )
    return mismatches
