"""The machine a benchmark ran on: what it is (for the record beside every result) and what it
can compute (the roof that model-FLOP utilisation is measured against)."""

import os
import platform
from pathlib import Path


def machine():
    """{"cpu", "cpu_count", "gpus", "tensorflow", "python"} of this machine and process."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {"cpu": cpu, "cpu_count": len(os.sched_getaffinity(0)), "gpus": gpus,
            "tensorflow": tf.__version__, "python": platform.python_version()}


def matmul_roof(dtype="float32", n=4096, repeats=10):
    """GFLOP/s of an n × n matrix product in `dtype`: the best of `repeats` timed runs."""
    from zoo.training.distribute import matmul_gflops

    return matmul_gflops(dtype, n, repeats=1, rounds=repeats)
