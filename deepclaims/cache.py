"""A disk cache of experiment results, safe under pytest-xdist.

A result is keyed by the experiment's name, its configuration, the seeds it covers and
the code version (a hash of the project modules the experiment imports, see
``deepclaims.experiment.code_version``), so editing any of them invalidates what it
would change, and editing anything else does not.

Entries are ``.npz`` files of plain arrays read with ``allow_pickle=False``: a cache
folder shared between users must not be able to run code when it is read. An entry
that holds pickled data (an old ``.pkl`` entry, or an ``.npz`` replaced by a pickle) is
refused with a warning and recomputed, never unpickled.

Experiments over many seeds are computed in fixed-size shards of seeds. Each shard is
one cache entry, guarded by a file lock: the first worker to ask computes it, any other
worker that asks at the same time waits on the lock and then reads the file. Workers
start on different shards and first take every shard no one else holds
(``ShardedRun.advance`` without waiting), waiting only at the end, so several workers asking for one large
experiment, or for one plan of many, share its work. Shards are merged in seed order, so
the merged result is the same whoever computed which shard, and an interrupted run loses
at most the shards in flight. Within one process, threads may take different shards at
once (``ShardedRun.take``, driven by ``plugin.take_concurrently``); the cache's
bookkeeping goes through its lock.
Writes go to a temporary file that is renamed into place, so a reader never sees half
a file.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from deepclaims.errors import ConfigError

Result = dict[str, np.ndarray]
PROGRESS_AFTER_S = 5.0
ENTRY_SUFFIX = ".npz"


def config_fingerprint(config) -> str:
    """A stable text form of a configuration (dataclass, mapping or plain value)."""
    if dataclasses.is_dataclass(config):
        config = dataclasses.asdict(config)
    return json.dumps(config, sort_keys=True, default=repr)


class ResultCache:
    """Experiment results on disk under ``root``; ``recompute`` ignores (and replaces) entries."""

    def __init__(self, root: Path, recompute: bool = False, worker_index: int = 0,
                 progress: Callable[[str], None] | None = None):
        self.root = Path(root)
        self.recompute = recompute
        self.worker_index = worker_index
        self.progress = progress      # called with one line per shard of a long experiment
        self.events: list[tuple[str, str]] = []   # (experiment, "computed" | "cached"), in order
        self._taken = 0
        self._computed_this_session: set[str] = set()
        # Shards of one process may be computed on several threads (``ShardedRun.take``):
        # the bookkeeping above and the progress lines go through this lock.
        self.lock = threading.Lock()

    def take_events(self) -> list[tuple[str, str]]:
        """The look-ups since the last call (each claim takes those made on its behalf)."""
        new, self._taken = self.events[self._taken:], len(self.events)
        return new

    def _key(self, experiment: str, config, seeds: Sequence[int], version: str) -> str:
        text = "\n".join([experiment, config_fingerprint(config),
                          ",".join(str(s) for s in seeds), version])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def get(self, experiment: str, config, seeds: Sequence[int], compute: Callable[[], Result],
            version: str, wait: bool = True):
        """Return the cached result for this key, computing and storing it if needed.

        ``version`` is the code version of what ``compute`` runs (``Experiment.version``).
        With ``wait`` False, return None at once when another worker holds the entry's lock
        (it is computing it) instead of waiting for it.
        """
        return self.lookup(experiment, config, seeds, compute, version, wait)[0]

    def lookup(self, experiment: str, config, seeds: Sequence[int], compute: Callable[[], Result],
               version: str, wait: bool = True) -> tuple[Result | None, str | None]:
        """``get`` and how the result came: ("computed" | "cached"), or (None, None) when
        another holder had the entry and ``wait`` was False."""
        if not experiment.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"experiment name {experiment!r} must be letters, digits, '_' or '-'")
        key = self._key(experiment, config, seeds, version)
        folder = self.root / experiment
        folder.mkdir(parents=True, exist_ok=True)
        _refuse_pickles(folder / f"{key}.pkl")
        path = folder / f"{key}{ENTRY_SUFFIX}"
        with open(folder / f"{key}.lock", "a+") as lock:
            try:   # one computes, the others wait here (or pass, without ``wait``), then read
                fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None, None
            try:
                with self.lock:
                    fresh = self.recompute and key not in self._computed_this_session
                if not fresh:
                    cached = _read(path)
                    if cached is not None:
                        self._note(experiment, "cached")
                        return cached, "cached"
                result = compute()
                _write_atomic(path, result)
                with self.lock:
                    self._computed_this_session.add(key)
                self._note(experiment, "computed")
                return result, "computed"
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _note(self, experiment: str, how: str) -> None:
        with self.lock:
            self.events.append((experiment, how))

    def sharded(self, experiment: str, config, seeds: Sequence[int],
                compute: Callable[[list[int]], Result], version: str, shard_size: int = 32) -> Result:
        """Compute ``compute(seed_shard)`` per fixed-size shard and merge in seed order.

        Every array in a shard's result must have the shard's seeds on its first axis.
        Shard boundaries depend only on ``seeds`` and ``shard_size``, never on the number
        of workers, so the merged result is the same with or without xdist.
        """
        run = self.open_sharded(experiment, config, seeds, compute, version, shard_size)
        run.advance(wait=False)
        return run.finish()

    def open_sharded(self, experiment: str, config, seeds: Sequence[int],
                     compute: Callable[[list[int]], Result], version: str,
                     shard_size: int = 32) -> "ShardedRun":
        """``sharded`` in parts: the run, before any shard is taken. Its ``advance(wait=False)``
        computes or reads every shard no other worker is computing now, ``finish()`` waits for
        the rest and merges: a worker that advances every run of a plan before finishing any
        computes what the others are not computing, instead of queueing behind them."""
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ConfigError(f"experiment {experiment!r} was asked for no seeds")
        if shard_size < 1:
            raise ConfigError(f"shard_size must be at least 1, got {shard_size}")
        return ShardedRun(self, experiment, config, seeds, compute, version, shard_size)

    def _report_progress(self, experiment: str, done: int, total: int, seeds: int, started: float) -> None:
        """One line per computed shard once an experiment has run for a few seconds."""
        elapsed = time.perf_counter() - started
        if self.progress is None or total < 2 or elapsed < PROGRESS_AFTER_S:
            return
        left = elapsed / done * (total - done)
        self.progress(f"{experiment}: shard {done} of {total} done, {seeds / elapsed:.1f} seeds/s, "
                      f"about {left:.0f} s left")


class ShardedRun:
    """One experiment's shards being computed (``ResultCache.open_sharded``): ``take``
    computes or reads one shard (threads may take different shards at once), ``advance``
    takes every shard it can in order (all of them when it may wait), ``finish`` merges."""

    def __init__(self, cache: ResultCache, experiment: str, config, seeds: list[int],
                 compute: Callable[[list[int]], Result], version: str, shard_size: int):
        self.cache, self.experiment, self.config, self.version = cache, experiment, config, version
        self.compute, self.seeds, self.n_seeds = compute, seeds, len(seeds)
        self.shards = [seeds[i:i + shard_size] for i in range(0, len(seeds), shard_size)]
        # Start at a worker-dependent shard so concurrent workers spread over the shards.
        start = cache.worker_index % len(self.shards)
        self.order = list(range(start, len(self.shards))) + list(range(start))
        self.results: dict[int, Result] = {}
        self.started = time.perf_counter()
        self.computed_seeds = 0

    @property
    def key(self) -> tuple:
        """What identifies the run: the experiment, its configuration, seeds and code version."""
        return self.experiment, config_fingerprint(self.config), tuple(self.seeds), self.version

    @property
    def pending(self) -> list[int]:
        """The shards not yet taken, in this worker's order."""
        return [i for i in self.order if i not in self.results]

    def take(self, i: int, wait: bool) -> bool:
        """Compute or read shard ``i``; without ``wait``, return False at once when another
        worker holds it (it stays pending)."""
        shard = self.shards[i]
        result, how = self.cache.lookup(self.experiment, self.config, shard, lambda: self.compute(shard),
                                        self.version, wait=wait)
        if result is None:
            return False
        with self.cache.lock:
            self.results[i] = result
            if how == "computed":
                self.computed_seeds += len(shard)
                self.cache._report_progress(self.experiment, len(self.results), len(self.shards),
                                            self.computed_seeds, self.started)
        return True

    def advance(self, wait: bool) -> None:
        """Take the pending shards in order; without ``wait``, pass over those another
        worker holds (they stay pending)."""
        for i in self.pending:
            self.take(i, wait)

    def finish(self) -> Result:
        """Wait for (or read) the shards other workers held, and merge in seed order."""
        self.advance(wait=True)
        return merge_shards([self.results[i] for i in range(len(self.shards))], self.n_seeds)


def merge_shards(parts: list[Result], n_seeds: int) -> Result:
    """Concatenate shard results along the seed axis, checking they agree in keys."""
    keys = set(parts[0])
    for p in parts[1:]:
        if set(p) != keys:
            raise ConfigError(f"shards disagree in their keys: {sorted(keys)} vs {sorted(p)}")
    merged = {k: np.concatenate([np.asarray(p[k]) for p in parts], axis=0) for k in sorted(keys)}
    for k, v in merged.items():
        if v.shape[0] != n_seeds:
            raise ConfigError(f"result {k!r} has {v.shape[0]} rows for {n_seeds} seeds; "
                              "every array must have the seeds on its first axis")
    return merged


def _refuse_pickles(path: Path) -> None:
    """An old pickle entry is never read: warn once and move it aside."""
    if path.exists():
        warnings.warn(f"refusing cache entry {path}: pickled results could run code when loaded, so the "
                      "cache reads only .npz arrays (allow_pickle=False); recomputing")
        path.rename(path.with_suffix(".pkl.refused"))


def _read(path: Path) -> Result | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as entry:
            return {name: entry[name] for name in entry.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            warnings.warn(f"refusing cache entry {path}: it holds pickled data, which could run code when "
                          "loaded (the cache reads arrays with allow_pickle=False); recomputing")
            return None
        warnings.warn(f"ignoring unreadable cache entry {path} ({exc}); recomputing")
        return None
    except Exception as exc:  # a corrupt entry is a miss, never a crash
        warnings.warn(f"ignoring unreadable cache entry {path} ({exc}); recomputing")
        return None


def _write_atomic(path: Path, result: Result) -> None:
    arrays = {}
    for name, value in result.items():
        array = np.asarray(value)
        if array.dtype == object:
            raise ConfigError(f"result {name!r} is not a plain array (dtype object); experiments return "
                              "numeric or string arrays so the cache can store them without pickling")
        arrays[name] = array
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
