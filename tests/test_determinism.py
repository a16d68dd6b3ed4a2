"""`--deterministic`: two runs of a recipe with the same seed end with bit-identical weights.

Each model's pair of runs happens in a subprocess: op determinism, once switched on, stays on
for the process, and the rest of the suite should run as users run without the flag."""

import json
import os
import subprocess
import sys

import pytest

import zoo
from conftest import REPO, params

TWICE = """
import json, sys, zoo
from zoo import training
name, root = sys.argv[1], sys.argv[2]
recipe = zoo.registry.get_entry(name).recipe()
digests = []
for run in range(2):
    recipe.main(["--smoke", "--deterministic", "--output", f"{root}/{run}"])
    digests.append(training.weights_digest(zoo.load(name, weights=f"{root}/{run}")))
print("RESULT " + json.dumps(digests))
"""


# Every model with -m slow (the GAN's two optimizers, the text model with XLA among them). By
# default the mechanism is covered by tests/test_resume.py, whose uninterrupted and resumed
# --deterministic runs of lstm_image_classifier must end with bit-identical weights, and every
# model's seeded rerun without op determinism by tests/test_recipes.py. What only -m slow covers:
# --deterministic with a GAN's two optimizers and noise (dcgan's resume case is slow too).
@pytest.mark.parametrize("name", params([], slow=zoo.list_models()))
def test_deterministic_reruns_give_bit_identical_weights(name, tmp_path):
    result = subprocess.run([sys.executable, "-c", TWICE, name, str(tmp_path)], capture_output=True, text=True,
                            timeout=900, cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-4000:]
    first, second = json.loads(result.stdout.split("RESULT ", 1)[1])
    assert first == second
    # The flag is recorded with the run, so the card says how to repeat it.
    card = json.loads((tmp_path / "0" / "model_card.json").read_text())
    assert card["recipe"]["config"]["deterministic"] is True
