"""The machine a benchmark ran on: what it is (for the record beside every result) and what it
can compute (the roof that model-FLOP utilisation is measured against)."""

import os
import platform
import time
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
    import tensorflow as tf

    a = tf.random.normal((n, n), dtype=tf.float32)
    a = tf.cast(a, dtype)
    b = tf.identity(a)
    product = tf.function(lambda x, y: tf.reduce_sum(tf.cast(tf.matmul(x, y)[:1, :1], tf.float32)))
    product(a, b).numpy()  # trace, warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9
