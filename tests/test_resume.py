"""A recipe killed with SIGKILL in the middle of an epoch and started again with the same
command resumes from its last completed epoch and ends exactly where a run that was never
interrupted ends (`--deterministic`: bit-identical weights, the same metrics and history).

dcgan has two optimizers, an EMA copy of the generator and a random-noise generator whose
state must all come back; lstm_image_classifier draws its augmentation from a seed generator
and its learning rate from the step count. Both shuffle their data every epoch."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import zoo
from zoo import training
from conftest import REPO, params

# Enough steps per epoch (2–4 s each on 2 cores) that a kill 0.5 s into the second epoch lands inside it.
FLAGS = {
    "dcgan": ["--max-train-examples", "12800", "--batch-size", "64"],
    "lstm_image_classifier": ["--max-train-examples", "12800", "--batch-size", "64"],
}


def command(name, output):
    return [sys.executable, "-m", f"recipes.{name}.recipe", "--smoke", "--deterministic", "--epochs", "2",
            *FLAGS[name], "--output", str(output)]


def run(name, output, timeout=600):
    result = subprocess.run(command(name, output), capture_output=True, text=True, timeout=timeout, cwd=REPO,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def kill_inside_second_epoch(name, output, timeout=600):
    """Starts the recipe, waits for the checkpoint of epoch 1, lets epoch 2 run a little and
    kills the process with SIGKILL (no handler, no clean-up). Returns the checkpoints left."""
    log = open(output.parent / f"{output.name}.log", "w")
    process = subprocess.Popen(command(name, output), stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        deadline = time.monotonic() + timeout
        while not (output / ".backup" / "epoch-1").is_dir():
            assert process.poll() is None, f"the run ended before its first checkpoint: {log.name}"
            assert time.monotonic() < deadline, "no checkpoint of epoch 1 in time"
            time.sleep(0.02)
        time.sleep(0.5)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert process.returncode == -signal.SIGKILL
    return sorted(p.name for p in (output / ".backup").iterdir() if not p.name.startswith("."))


# lstm_image_classifier by default (the mechanism: kill, restart, same weights); dcgan's two
# optimizers, EMA and noise generator with -m slow.
@pytest.mark.parametrize("name", params([n for n in sorted(FLAGS) if n != "dcgan"], slow=["dcgan"]))
def test_killed_mid_epoch_resumes_and_ends_like_an_uninterrupted_run(name, tmp_path):
    whole = tmp_path / "whole"
    run(name, whole)

    resumed = tmp_path / "resumed"
    left = kill_inside_second_epoch(name, resumed)
    assert left == ["epoch-1"], f"the kill should land inside epoch 2, found checkpoints {left}"
    assert not (resumed / "model_card.json").exists()
    out = run(name, resumed)
    assert "Resuming after epoch 1" in out

    cards = [json.loads((folder / "model_card.json").read_text()) for folder in (whole, resumed)]
    assert cards[1]["metrics"] == cards[0]["metrics"]
    assert [r["epoch"] for r in cards[1]["history"]] == [0, 1]  # the killed epoch logged once

    def logged(card):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in card["history"]]

    assert logged(cards[1]) == logged(cards[0])
    assert cards[1]["weights_sha256"] == cards[0]["weights_sha256"]
    assert cards[0]["recipe"]["config"]["deterministic"] is True  # the card says how to repeat the run
    digests = [training.weights_digest(zoo.load(name, weights=folder)) for folder in (whole, resumed)]
    assert digests[0] == digests[1]
    assert not (resumed / ".backup").exists()  # checkpoints go once the run has finished


def test_unreadable_newest_checkpoint_falls_back_to_the_one_before(tmp_path):
    """A checkpoint damaged after it was written (a disk error, say): the previous one is kept
    for this, and training goes on from it."""
    import keras

    model = zoo.load("lstm_image_classifier", units=4, unroll=False)
    model.compile(optimizer="adam")
    model.build_optimizers()
    checkpoint = training.EpochCheckpoint(tmp_path / ".backup")
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0)
    first = [w.copy() for w in model.get_weights()]
    model.set_weights([w + 1 for w in first])
    checkpoint.on_epoch_end(1)
    assert [done for done, _ in checkpoint.checkpoints()] == [2, 1]
    (tmp_path / ".backup" / "epoch-2" / "model.weights.h5").write_bytes(b"damaged")

    fresh = zoo.load("lstm_image_classifier", units=4, unroll=False)
    fresh.compile(optimizer=keras.optimizers.Adam())
    fresh.build_optimizers()
    assert checkpoint.restore(fresh) == 1
    assert all((a == b).all() for a, b in zip(fresh.get_weights(), first))

    (tmp_path / ".backup" / "epoch-1" / "model.weights.h5").write_bytes(b"damaged too")
    with pytest.raises(zoo.WeightsError, match=r"No checkpoint in .* could be read.*Delete that folder"):
        checkpoint.restore(fresh)


def test_a_checkpoint_of_a_run_with_other_settings_is_refused(tmp_path):
    # A rerun into the same folder with, say, another learning rate would otherwise resume the
    # old run's weights and schedule without a word (when the weight shapes still match).
    from zoo.errors import ConfigError
    from zoo.training.callbacks import EpochCheckpoint

    model = zoo.load("lstm_image_classifier", units=4)
    model.compile()
    model.build_optimizers()
    killed = EpochCheckpoint(tmp_path / ".backup", run={"learning_rate": 0.001, "epochs": 5})
    killed.set_model(model)
    killed.on_epoch_end(0)
    assert EpochCheckpoint(tmp_path / ".backup", run={"learning_rate": 0.001, "epochs": 5}).restore(model) == 1
    with pytest.raises(ConfigError, match=r"learning_rate: 0.001 then, 0.01 now.*delete that folder"):
        EpochCheckpoint(tmp_path / ".backup", run={"learning_rate": 0.01, "epochs": 5}).restore(model)
