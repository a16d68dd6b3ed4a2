"""The worked example of a new model (the docs' guide "Adding a model") is what a new model costs:
its two files, as the guide prints them, register a model that trains with --smoke, documents
its flags from the docstring, loads from the run folder and exports. Run in a process of its own,
so the throwaway model never joins this session's registry."""

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "pages" / "guides" / "adding-a-model.md"

RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
import recipes
recipes.__path__.append(sys.argv[1] + "/recipes_ext")  # recipes.gru_image_classifier, as in a checkout
import numpy as np
import gru_image_classifier  # registers the model, as zoo/models/__init__.py's import would
import doctest
import zoo
examples = doctest.testmod(gru_image_classifier)  # its docstring's example, as --doctest-modules runs it
assert examples.attempted and not examples.failed, examples
from zoo import cli
recipe = zoo.registry.get_entry("gru_image_classifier").recipe()
card = recipe.main(["--smoke", "--output", sys.argv[1] + "/run"])
model = zoo.load("gru_image_classifier", weights=sys.argv[1] + "/run")
probabilities = model.predict(np.zeros((2, 28, 28, 1), "uint8"), verbose=0)
version = zoo.export(model, sys.argv[1] + "/serving")
try:
    cli.main(["train", "gru_image_classifier", "--help"])
except SystemExit:
    pass
print("RESULT", json.dumps({"metrics": card["metrics"], "shape": list(probabilities.shape),
                            "export": str(version), "params": model.count_params()}))
"""


def example(marker):
    text = GUIDE.read_text()
    found = re.search(rf"<!-- {marker} -->\n```python\n(.*?)\n```", text, re.S)
    assert found, f"{GUIDE.name} has no {marker} block"
    return found.group(1) + "\n"


def test_the_guide_example_model_trains_loads_and_exports(tmp_path):
    (tmp_path / "gru_image_classifier.py").write_text(example("example-model"))
    package = tmp_path / "recipes_ext" / "gru_image_classifier"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "recipe.py").write_text(example("example-recipe"))
    done = subprocess.run([sys.executable, "-c", RUN, str(tmp_path)], capture_output=True, text=True, timeout=600,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert 0 <= result["metrics"]["test_accuracy"] <= 1 and result["shape"] == [2, 10]
    assert (Path(result["export"]) / "saved_model.pb").exists()
    assert re.search(r"--units UNITS\s+GRU units\.", done.stdout)  # flag help from the docstring
    lines = [len(example(m).strip().splitlines()) for m in ("example-model", "example-recipe")]
    assert sum(lines) <= 70, lines  # what a new model costs stays small
