"""Per-seed random streams.

Seed i's initial weights, data order, dropout masks and data draws each come from a
generator derived only from (i, stream name), so seed i gets the same numbers whether
it is trained alone, in a batch of 64, or in another xdist worker's shard.
"""
from __future__ import annotations

import hashlib

import torch

from deepclaims.errors import ConfigError

STREAMS = ("init", "data", "order", "dropout", "eval")


def seed_range(seed_base: int, count: int) -> list[int]:
    """The seeds of an experiment over ``count`` seeds under ``--seed-base``."""
    if count < 1:
        raise ConfigError(f"an experiment needs at least one seed, got {count}")
    return list(range(seed_base, seed_base + count))


def stream_seed(seed: int, stream: str) -> int:
    """A 63-bit integer mixing the seed and the stream name (stable across platforms)."""
    if stream not in STREAMS:
        raise ConfigError(f"unknown random stream {stream!r}; accepted: {', '.join(STREAMS)}")
    if seed < 0:
        raise ConfigError(f"seeds must be >= 0, got {seed}")
    digest = hashlib.blake2b(f"{stream}:{seed}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def generator(seed: int, stream: str) -> torch.Generator:
    """A CPU generator for one seed's stream (draw on CPU, then move, for device independence)."""
    return torch.Generator().manual_seed(stream_seed(seed, stream))


def generators(seeds, stream: str) -> list[torch.Generator]:
    return [generator(int(s), stream) for s in seeds]
