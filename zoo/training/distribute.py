"""Where a run computes: the tf.distribute strategy, the multi-worker cluster, and the dtype
policy (float32 or mixed bfloat16)."""

import contextlib
import json
import os
from pathlib import Path

import keras
import tensorflow as tf

from zoo.errors import ConfigError

STRATEGIES = ("auto", "mirrored", "multi_worker", "tpu")
PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def cluster_task():
    """(task type, task index, cluster) from $TF_CONFIG, or a ConfigError saying what is wrong."""
    raw = os.environ.get("TF_CONFIG")
    example = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
               '"task": {"type": "worker", "index": 0}}\'')
    if not raw:
        raise ConfigError(f"--strategy multi_worker needs the cluster in $TF_CONFIG, e.g. {example} on the "
                          "first host (index 1 on the second).")
    try:
        tf_config = json.loads(raw)
        task, cluster = tf_config["task"], tf_config["cluster"]
        kind, index = task["type"], int(task["index"])
        cluster[kind][index]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ConfigError(f"$TF_CONFIG is not a valid cluster description ({type(e).__name__}: {e}); expected "
                          f"e.g. {example}.") from e
    return kind, index, cluster


def is_chief():
    """True unless this process is a multi-worker run's non-chief worker: the chief is the
    task of type "chief", or worker 0 when the cluster has none."""
    if not os.environ.get("TF_CONFIG"):
        return True
    kind, index, cluster = cluster_task()
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def output_dir(output, name, strategy):
    """Where a run writes: `output`, else a new runs/<name>/<date-time>/ (`zoo.runs`). In a
    multi-worker run only the chief writes there: every other worker (all must save, as
    tf.distribute requires) writes into `.worker-N/` inside it, which keeps its checkpoint for a
    resumed run and is removed when the run ends."""
    from zoo import runs

    folder = Path(output) if output else runs.new_folder(name)
    if strategy == "multi_worker" and not is_chief():
        return folder / f".worker-{cluster_task()[1]}"
    return folder


def distribution(name, *, deterministic=False, seed=0, batch_size=None):
    """The tf.distribute strategy `name` names (and, with `deterministic`, TensorFlow's op
    determinism switched on for the process). Call it first in a run: a multi-worker strategy
    must start before TensorFlow runs anything else. Build the model and its optimizers inside
    `strategy.scope()`; `model.fit` then splits each global batch."""
    if deterministic:
        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
    if name == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    elif name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
    elif name == "multi_worker":
        cluster_task()
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    elif name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as e:
            raise ConfigError(f"--strategy tpu found no TPU ({type(e).__name__}: {str(e).splitlines()[0]}); run on a "
                              "TPU VM or set TPU_NAME.") from e
        strategy = tf.distribute.TPUStrategy(resolver)
    else:
        raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}.")
    if strategy.num_replicas_in_sync > 1:
        print(f"Distributing with {type(strategy).__name__} over {strategy.num_replicas_in_sync} replicas "
              f"(global batch {batch_size}).")
    return strategy


# bfloat16 matrix products must run this many times as fast as float32 ones for "auto" to pick
# mixed_bfloat16: a mixed model also casts, and its small layers gain less than a large product.
BFLOAT16_MARGIN = 1.25


def machine_key():
    """What identifies this machine's arithmetic for the cached precision choice: its CPU model
    and cores, its GPUs, and the TensorFlow build that runs on them."""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "unknown CPU")
    except OSError:
        cpu = "unknown CPU"
    gpus = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
            for g in tf.config.list_physical_devices("GPU")]
    return f"{cpu} × {os.cpu_count()} | {', '.join(gpus) or 'no GPU'} | TensorFlow {tf.__version__}"


def matmul_gflops(dtype, size, repeats=1, rounds=3):
    """GFLOP/s of a `size`² matrix product in `dtype` on the default device: the best of
    `rounds` timings of `repeats` products each, after one that traces and warms up. Also the
    benchmarks' roof (`benchmarks.machine.matmul_roof`)."""
    import time

    a = tf.cast(tf.random.stateless_normal((size, size), seed=(1, 2)), dtype)
    # One number comes back, not the product: the copy would be timed too.
    product = tf.function(lambda x: tf.reduce_sum(tf.cast(tf.linalg.matmul(x, x)[:1, :1], tf.float32)))
    product(a).numpy()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            out = product(a)
        out.numpy()  # waits for the device
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best / 1e9


def matmul_speeds(size=1024, repeats=8):
    """GFLOP/s of a `size`² matrix product in float32 and in bfloat16 on the default device:
    {"float32": …, "bfloat16": …}, the best of three rounds of `repeats` products each."""
    return {dtype: matmul_gflops(dtype, size, repeats) for dtype in ("float32", "bfloat16")}


def cache_dir():
    """Where the zoo keeps what it measured of this machine: $ZOO_CACHE_DIR, else
    $XDG_CACHE_HOME/zoo, else ~/.cache/zoo."""
    if os.environ.get("ZOO_CACHE_DIR"):
        return Path(os.environ["ZOO_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zoo"


def auto_precision():
    """What `--precision auto` runs on this machine: "mixed_bfloat16" where a bfloat16 matrix
    product measured at least `BFLOAT16_MARGIN` times as fast as a float32 one, else "float32".

    A CPU flag does not tell: a 2-core Xeon with AVX-512 BF16 multiplied at 157 GFLOP/s in
    bfloat16 against 248 in float32, and trained `dcgan` 1.5× slower mixed. So the choice is
    measured (about a second), once per machine (`machine_key`), and kept in
    `cache_dir()/precision.json` with the speeds it was made from.

    Returns:
        str: "mixed_bfloat16" or "float32".
    """
    from zoo import atomic

    path = cache_dir() / "precision.json"
    key = machine_key()
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    if not isinstance(known.get(key), dict) or known[key].get("precision") not in PRECISIONS[1:]:
        speeds = matmul_speeds()
        choice = "mixed_bfloat16" if speeds["bfloat16"] >= BFLOAT16_MARGIN * speeds["float32"] else "float32"
        known[key] = {"precision": choice, "gflops": {k: round(v, 1) for k, v in speeds.items()}}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_json(path, known)
        except OSError:
            pass  # a read-only home: measured again next time
        print(f"--precision auto: {choice} on this machine (matrix product, GFLOP/s: float32 "
              f"{speeds['float32']:.0f}, bfloat16 {speeds['bfloat16']:.0f}; kept in {path})")
    return known[key]["precision"]


@contextlib.contextmanager
def precision(name):
    """Keras' global dtype policy for the models built inside the block: "float32",
    "mixed_bfloat16" (bfloat16 maths, float32 weights) or "auto" (whichever measured faster on
    this machine: `auto_precision`). Weights are float32 either way, so a model trained mixed
    loads into a float32 one. Restores the previous policy on exit."""
    if name not in PRECISIONS:
        raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got {name!r}.")
    if name == "auto":
        name = auto_precision()
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield name
    finally:
        keras.mixed_precision.set_global_policy(previous)
