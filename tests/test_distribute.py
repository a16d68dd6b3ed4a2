"""tf.distribute: every recipe trained under MirroredStrategy on 2 logical CPU devices gives the
numbers of a one-device run on the same global batch, and a real two-process multi-worker run
ends with the same weights on both workers.

Each run happens in a subprocess: logical devices and a multi-worker strategy must be set up
before TensorFlow starts, which in the test process it already has."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo import training
from conftest import REPO, params

# Same global batch, same draws (each replica keeps its rows of the global draw), batch norm
# statistics over the global batch, gradients clipped after the replicas' sum: the runs differ
# only in the order of float32 sums. Measured: at most 1.8e-4 relative (lstm_gan_text's
# adversarial epoch), 1e-6 or less for the others.
RTOL, ATOL = 1e-3, 1e-5

# float32 for the GAN: bfloat16 rounding would turn those sum-order differences into
# percent-sized ones. The video smoke clips are small enough for every step to be even.
EXTRA = {"dcgan": ["--precision", "float32"]}

MIRRORED = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import zoo
name, root, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
recipe = zoo.registry.get_entry(name).recipe()
cards = {}
for strategy in ("auto", "mirrored"):
    card = recipe.main(["--smoke", "--strategy", strategy, "--output", f"{root}/{strategy}", *extra])
    cards[strategy] = {"history": card["history"], "metrics": card["metrics"],
                       "replicas": tf.distribute.get_strategy().num_replicas_in_sync}
print("RESULT " + json.dumps(cards))
"""


def _numbers(card):
    """Every logged and measured number of a run, by name (timings left out)."""
    out = {}
    for row in card["history"]:
        out.update({f"epoch{row['epoch']}/{k}": v for k, v in row.items()
                    if isinstance(v, (int, float)) and k not in ("epoch", "seconds")})
    out.update({f"metrics/{k}": v for k, v in card["metrics"].items() if isinstance(v, (int, float))})
    return out


def _run(args, timeout=900, env=None):
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


# The models whose replica maths differ most by default (GAN noise and two optimizers, the video
# CNN's batch norm); the others, the text GAN's clipped gradients among them, with -m slow.
# By default the mechanism is checked once, on the model with the most to keep in step (two
# optimizers, batch norm, random draws); every other recipe with -m slow.
@pytest.mark.parametrize("name", params(["dcgan"], slow=[n for n in zoo.list_models() if n != "dcgan"]))
def test_mirrored_strategy_matches_one_device(name, tmp_path):
    stdout = _run(["-c", MIRRORED, name, str(tmp_path), json.dumps(EXTRA.get(name, []))])
    assert "Distributing with MirroredStrategy over 2 replicas" in stdout
    cards = json.loads(stdout.split("RESULT ", 1)[1])
    one, two = _numbers(cards["auto"]), _numbers(cards["mirrored"])
    assert one.keys() == two.keys() and len(one) >= 2
    for key in one:
        np.testing.assert_allclose(two[key], one[key], rtol=RTOL, atol=ATOL, err_msg=key)


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.parametrize("name", params(["dcgan"], slow=["lstm_image_classifier"]))
def test_two_worker_processes_end_with_identical_weights(name, tmp_path):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = []
    try:
        for index in range(2):
            tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            processes.append(subprocess.Popen(
                [sys.executable, "-m", f"recipes.{name}.recipe", "--smoke", "--strategy", "multi_worker",
                 "--output", str(tmp_path / "out"), *EXTRA.get(name, [])],
                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={**os.environ, "TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "2"}))
        outputs = [p.communicate(timeout=900) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, stderr) in zip(processes, outputs):
        assert p.returncode == 0, stderr[-4000:]
    digests = []
    for (stdout, _), prefix in zip(outputs, ("Wrote ", "Trained as a non-chief worker")):
        lines = [line for line in stdout.splitlines() if line.startswith(prefix)]
        assert len(lines) == 1, stdout[-2000:]
        digests.append(json.loads(lines[0].split(": ", 1)[1])["weights_digest"])
    assert digests[0] == digests[1]
    # Only the chief (worker 0) wrote the model; worker 1's folder is gone.
    assert (tmp_path / "out" / "model_card.json").exists() and not (tmp_path / "out" / ".worker-1").exists()
    reloaded = zoo.load(name, weights=tmp_path / "out")
    assert training.weights_digest(reloaded) == digests[0]
