"""deepclaims/allocator.py: with freed memory kept, a large tensor allocated again is not
faulted in page by page; without it (glibc's defaults, the negative control) it is."""
import subprocess
import sys
import textwrap

import pytest


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")

BLOCK_FLOATS = 16 << 20          # 64 MiB: above glibc's largest mmap threshold (32 MiB)
PAGES = (BLOCK_FLOATS * 4) // 4096
WARM_ROUNDS, MEASURED_ROUNDS = 10, 5


def _last_printed(script: str) -> str:
    """What ``script`` prints last, run in a fresh interpreter: the setting is process-wide,
    so the test process's own state must play no part."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          check=True)
    return done.stdout.split()[-1]


def _faults_of_repeated_allocations(keep: bool) -> int:
    """Minor page faults taken by allocating, filling and freeing a 64 MiB tensor
    MEASURED_ROUNDS times after WARM_ROUNDS such rounds (glibc's heap takes a few rounds
    to settle: torch's aligned request does not fit the hole the last block left until
    holes merge)."""
    return int(_last_printed(f"""
        import resource, torch
        from deepclaims.allocator import keep_freed_memory
        if {keep}:
            assert keep_freed_memory()
        faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range({WARM_ROUNDS}):
            torch.empty({BLOCK_FLOATS}).fill_(1.0)
        before = faults()
        for _ in range({MEASURED_ROUNDS}):
            torch.empty({BLOCK_FLOATS}).fill_(2.0)
        print(faults() - before)
    """))


def test_kept_memory_is_reused_without_faulting_its_pages_in_again():
    assert _faults_of_repeated_allocations(keep=True) < PAGES // 4


def test_negative_control_glibc_defaults_fault_every_page_in_again():
    assert _faults_of_repeated_allocations(keep=False) > (MEASURED_ROUNDS - 1) * PAGES


def test_a_thread_still_gets_a_block_larger_than_its_own_heap():
    """With mmap off, a block over a thread heap's 64 MiB comes from the main heap (the
    suite's runs may be on threads)."""
    assert _last_printed("""
        import threading, torch
        from deepclaims.allocator import keep_freed_memory
        assert keep_freed_memory()
        got = {}
        def allocate():
            block = torch.full((50 << 20,), 3.0)     # 200 MiB
            got["values"] = block[::4096].unique().tolist()
        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        print(got["values"])
    """) == "[3.0]"


def test_asking_twice_is_harmless():
    assert _last_printed("from deepclaims.allocator import keep_freed_memory as k; print(k() and k())") == "True"
