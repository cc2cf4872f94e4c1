"""xdist glue: pin each worker to one GPU and give it its share of CPU threads.

Must run before torch initialises CUDA, so it reads only environment variables and
the GPU count the controller found and passed down.
"""
from __future__ import annotations

import os



def worker_index() -> int | None:
    """0 for gw0, 1 for gw1, ...; None when not an xdist worker."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    if name.startswith("gw") and name[2:].isdigit():
        return int(name[2:])
    return None


def visible_gpus(env: dict, gpu_count: int) -> list[str]:
    """The GPUs this process may use, honouring a CUDA_VISIBLE_DEVICES the user set."""
    listed = env.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g.strip() for g in listed.split(",") if g.strip()]
    return [str(i) for i in range(gpu_count)]


def pin_worker(env: dict, index: int, worker_count: int, gpu_count: int, cpu_count: int) -> dict:
    """The environment changes that pin worker ``index`` of ``worker_count``.

    Worker k takes the k-th visible GPU (round robin when there are more workers than
    GPUs) and cpu_count // worker_count threads (at least one).
    """
    changes: dict[str, str] = {}
    gpus = visible_gpus(env, gpu_count)
    if gpus:
        changes["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
    changes["DEEPCLAIMS_THREADS"] = str(max(1, cpu_count // max(1, worker_count)))
    return changes
