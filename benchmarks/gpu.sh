#!/usr/bin/env bash
# The benchmark of every registered model on one GPU, in one call of a lent GPU machine:
#
#   bash benchmarks/gpu.sh                 # → benchmarks/results_gpu.{md,json}
#   bash benchmarks/gpu.sh --models vae    # any flag of python -m benchmarks.run
#
# Needs a Python with TensorFlow that sees the GPU ($PYTHON, else python3) and the zoo's
# requirements; TFDS_DATA_DIR where the datasets are (default ../shared/tensorflow_datasets).
# Fewer timed steps and one round (a GPU's speed does not drift as a shared CPU's does), no
# second process for the other XLA setting (each model is compiled as zoo train compiles it:
# Keras' "auto", which on a GPU turns XLA on unless a layer cannot be compiled, such as a cuDNN
# LSTM), and no model started after 390 s, to end within 8 minutes: how long each model takes on
# a GPU has not been measured yet. The table is written after every model, so a run cut short
# keeps its rows; models not started get a "not measured" row.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export TFDS_DATA_DIR=${TFDS_DATA_DIR:-../shared/tensorflow_datasets}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
"$PYTHON" - <<'PY'
import sys

try:
    import tensorflow as tf
except ImportError:
    sys.exit("benchmarks/gpu.sh: this Python has no TensorFlow; install the zoo with pip install -e . "
             "(and tensorflow[and-cuda] for the GPU), or name another with PYTHON=...")
gpus = tf.config.list_physical_devices("GPU")
if not gpus:
    sys.exit("benchmarks/gpu.sh: TensorFlow sees no GPU here (is tensorflow[and-cuda] installed, and "
             "nvidia-smi working?); for the CPU table run python -m benchmarks.run")
print("GPUs:", ", ".join(tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus))
PY
exec "$PYTHON" -m benchmarks.run --steps 32 --warmup 5 --serving-repeats 20 --rounds 1 --no-other-xla \
    --time-limit 390 --output benchmarks/results_gpu "$@"
