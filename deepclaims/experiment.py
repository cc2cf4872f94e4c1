"""One path for cached experiments: "configuration + seeds -> arrays".

A claim's evidence comes from experiments: functions ``compute(config, seeds)`` that
train or probe ``len(seeds)`` networks and return per-seed arrays (seeds on the first
axis). :func:`experiment` turns such a function into an :class:`Experiment`: calling it
runs on one CPU thread (see ``training.one_cpu_thread``), and :meth:`Experiments.run`
runs it sharded over seeds through the result cache, so workers and claims share it.

A topic plans its experiments as data: ``plan(tier, environment)`` returns named
:class:`Planned` runs (an experiment, a keyword-built frozen configuration, a seed
count). The same plan serves the claims (through the cache), the lab dry run (each
planned configuration shrunk to one step by the experiment's ``one_step``) and the
size estimate of ``--collect-only`` (the experiment's ``size``).

The cache key's code version covers exactly the project modules the experiment's
function imports, transitively, hashed as syntax trees without docstrings, so editing
a comment, a docstring or an unrelated model keeps cached trainings valid.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from deepclaims.errors import ConfigError

Result = dict[str, np.ndarray]
PROJECT_PACKAGES = ("deepclaims", "models", "claims")
# Modules an experiment may import that never change what it computes: following them
# would tie every cached training to the cache's, the recorder's or the plugin's source.
NOT_COMPUTING = frozenset({"deepclaims.experiment", "deepclaims.cache", "deepclaims.plugin",
                           "deepclaims.recorder", "deepclaims.report", "deepclaims.console",
                           "deepclaims.figure_check", "deepclaims.formatting", "deepclaims.startup",
                           "deepclaims.registry", "deepclaims.verdict", "deepclaims.stats"})


@dataclass(frozen=True)
class RunEnvironment:
    """Where a plan's experiments run: the torch device and where real data sets are.

    ``data_dir`` is a folder every data set is looked for in (tests and the dry run give
    one); ``data_folders`` names, per data set, the folder it was found in (--data-dir,
    $DEEPCLAIMS_DATA or the system's shared data sets) and wins over ``data_dir``.
    """

    device: str = "cpu"
    data_dir: str | None = None
    data_folders: tuple[tuple[str, str], ...] = ()

    def data_dir_for(self, name: str) -> str | None:
        """The folder to give ``name``'s loader, or None when the set was not found."""
        return dict(self.data_folders).get(name, self.data_dir)


@dataclass(frozen=True)
class Experiment:
    """A cached, sharded, thread-pinned computation of per-seed arrays.

    ``one_step(config)`` returns the configuration shrunk to one training step (the lab
    dry run); ``size(config)`` returns (trainings per seed, epochs per training), for the
    run-size estimate.
    """

    name: str
    compute: Callable[[Any, list[int]], Result]
    one_step: Callable[[Any], Any]
    size: Callable[[Any], tuple[int, int]]
    shard_size: int = 32
    scale: Callable[[Any], float] | None = None
    two_step: Callable[[Any], Any] | None = None   # twice one_step's work, for the time estimate
    # True: its shards may run on threads beside other shards of the process (see
    # ``plugin.Experiments.run_all``). Only for computations that draw every random number
    # from the seeds' own generators and touch no other process-wide state (the global
    # generator, thread settings). Torch ops release Python's lock, so runs overlap: on two
    # threads G's dropout arms trained 1.88x and D's width-2 runs 1.58x as fast as one after
    # the other (A's deep width-5 nets, mostly Python's per-op work, gained little: 87 -> 85 s).
    concurrent: bool = False

    def work_ratio(self, config) -> float:
        """How many times ``one_step(config)``'s work the full ``config`` is, per seed (the
        time estimate's multiplier). By default the ratio of trainings x epochs, right for
        a ``one_step`` that trains one full epoch; an experiment whose ``one_step`` trains on
        a subset gives its own ``scale``."""
        if self.scale is not None:
            return float(self.scale(config))
        def work(c) -> int:
            trainings, epochs = self.size(c)
            return trainings * epochs
        full, small = work(config), work(self.one_step(config))
        return 1.0 if full == 0 else full / max(small, 1)

    def __post_init__(self):
        if not self.name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"experiment name {self.name!r} must be letters, digits, '_' or '-'")
        if self.shard_size < 1:
            raise ConfigError(f"experiment {self.name!r}: shard_size must be at least 1, got {self.shard_size}")

    def __call__(self, config, seeds: Sequence[int]) -> Result:
        from deepclaims.training import one_cpu_thread   # training imports torch; keep this module light

        with one_cpu_thread(getattr(config, "device", "cpu")):
            return self.compute(config, [int(s) for s in seeds])

    @property
    def version(self) -> str:
        return code_version([self.compute.__module__])


def experiment(name: str, *, one_step: Callable[[Any], Any], size: Callable[[Any], tuple[int, int]],
               shard_size: int = 32, scale: Callable[[Any], float] | None = None,
               two_step: Callable[[Any], Any] | None = None,
               concurrent: bool = False) -> Callable[[Callable], Experiment]:
    """Decorator: ``@experiment("A_train", one_step=..., size=...)`` over ``compute(config, seeds)``."""
    def wrap(compute: Callable[[Any, list[int]], Result]) -> Experiment:
        return Experiment(name, compute, one_step, size, shard_size, scale, two_step, concurrent)
    return wrap


@dataclass(frozen=True)
class Planned:
    """One experiment a topic runs: ``seeds`` seeds from ``seed base + first_seed``."""

    experiment: Experiment
    config: Any
    seeds: int
    first_seed: int = 0

    def __post_init__(self):
        if self.seeds < 1:
            raise ConfigError(f"{self.experiment.name}: a planned run needs at least one seed, got {self.seeds}")
        if not (dataclasses.is_dataclass(self.config) and self.config.__dataclass_params__.frozen):
            raise ConfigError(f"{self.experiment.name}: configurations must be frozen dataclasses, "
                              f"got {type(self.config).__name__}")

    def seed_list(self, seed_base: int) -> list[int]:
        start = seed_base + self.first_seed
        return list(range(start, start + self.seeds))

    def training_epochs(self) -> tuple[int, int]:
        """(trainings, epochs summed over them) this run costs."""
        per_seed, epochs = self.experiment.size(self.config)
        return self.seeds * per_seed, self.seeds * per_seed * epochs


Plan = Mapping[str, Planned]


# ---------------------------------------------------------------- code versions

_closure_cache: dict[str, tuple[str, ...]] = {}
_digest_cache: dict[str, str] = {}


def code_version(module_names: Sequence[str]) -> str:
    """A hash of the given modules and every project module they import, transitively."""
    modules: set[str] = set()
    for name in module_names:
        modules.update(import_closure(name))
    digest = hashlib.sha256()
    for name in sorted(modules):
        digest.update(name.encode())
        digest.update(_source_digest(name).encode())
    return digest.hexdigest()[:16]


def project_version() -> str:
    """A hash of every project module (the run's code version in headers and records)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in PROJECT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(_tree_digest(path).encode())
    return digest.hexdigest()[:16]


def import_closure(module_name: str) -> tuple[str, ...]:
    """``module_name`` and the project modules it imports, transitively (by reading their
    source, including imports inside functions), stopping at NOT_COMPUTING."""
    if module_name in _closure_cache:
        return _closure_cache[module_name]
    seen: set[str] = set()
    todo = [module_name]
    while todo:
        name = todo.pop()
        if name in seen or name in NOT_COMPUTING or not _is_project(name):
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen.add(name)
        todo.extend(_imported_modules(name, path))
    _closure_cache[module_name] = tuple(sorted(seen))
    return _closure_cache[module_name]


def _is_project(name: str) -> bool:
    return name.split(".")[0] in PROJECT_PACKAGES


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imported_modules(name: str, path: Path) -> list[str]:
    """Project modules named by the import statements of one module, and their packages."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            found.append(base)
            # ``from pkg import name`` names a module when pkg/name.py exists
            found.extend(f"{base}.{alias.name}" for alias in node.names
                         if _is_project(base) and _module_file(f"{base}.{alias.name}") is not None)
    parents = [".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)]
    return [m for m in found + parents if _is_project(m)]


def _source_digest(name: str) -> str:
    """The hash of a module's syntax tree without docstrings: comments, docstrings and
    formatting do not change what it computes."""
    path = _module_file(name)
    if path is None:
        raise ConfigError(f"cannot find the source of module {name!r}")
    return _tree_digest(path)


def _tree_digest(path: Path) -> str:
    key = str(path)
    if key not in _digest_cache:
        tree = ast.parse(path.read_text(), filename=key)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        _digest_cache[key] = hashlib.sha256(ast.dump(tree).encode()).hexdigest()
    return _digest_cache[key]

