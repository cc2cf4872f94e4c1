"""xdist worker pinning."""
from deepclaims.workers import pin_worker


def test_workers_take_gpus_round_robin_and_a_cpu_share():
    env = {}
    assert pin_worker(env, 0, 4, gpu_count=2, cpu_count=16) == {"CUDA_VISIBLE_DEVICES": "0", "DEEPCLAIMS_THREADS": "4"}
    assert pin_worker(env, 3, 4, gpu_count=2, cpu_count=16)["CUDA_VISIBLE_DEVICES"] == "1"


def test_user_gpu_list_is_indexed_not_replaced():
    env = {"CUDA_VISIBLE_DEVICES": "3,5"}
    assert pin_worker(env, 1, 2, gpu_count=8, cpu_count=2)["CUDA_VISIBLE_DEVICES"] == "5"


def test_no_gpu_means_threads_only():
    assert pin_worker({}, 1, 2, gpu_count=0, cpu_count=2) == {"DEEPCLAIMS_THREADS": "1"}


def test_the_controller_hands_its_gpu_count_to_each_xdist_worker():
    """Workers must not touch CUDA before pinning themselves, so the count comes from the
    controller through xdist's workerinput."""
    from types import SimpleNamespace

    from deepclaims.plugin import GPU_COUNT_INPUT, pytest_configure_node

    node = SimpleNamespace(config=SimpleNamespace(deepclaims_gpu_count=4), workerinput={})
    pytest_configure_node(node)
    assert node.workerinput[GPU_COUNT_INPUT] == 4
