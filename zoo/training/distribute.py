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


def native_bfloat16():
    """True where bfloat16 matrix maths runs in hardware: a GPU, or an x86 CPU with AVX-512
    BF16 or AMX (elsewhere bfloat16 is emulated, and slower than float32)."""
    if tf.config.list_physical_devices("GPU"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


@contextlib.contextmanager
def precision(name):
    """Keras' global dtype policy for the models built inside the block: "float32",
    "mixed_bfloat16" (bfloat16 maths, float32 weights) or "auto" (mixed_bfloat16 where it is
    native, see `native_bfloat16`). Weights are float32 either way, so a model trained mixed
    loads into a float32 one. Restores the previous policy on exit."""
    if name not in PRECISIONS:
        raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got {name!r}.")
    if name == "auto":
        name = "mixed_bfloat16" if native_bfloat16() else "float32"
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield name
    finally:
        keras.mixed_precision.set_global_policy(previous)
