"""Shared fixtures. Data comes from TFDS: set TFDS_DATA_DIR to the prepared copy
(`../shared/tensorflow_datasets` in CI); with internet access TFDS downloads what is missing."""

import collections.abc
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

import zoo
from zoo.registry import get_entry

REPO = Path(__file__).resolve().parent.parent


def run_clean_python(code, *args, timeout=300):
    """Runs `code` in a fresh interpreter that has never imported zoo (as a TF Serving host
    would be), from a folder outside the repository so `import zoo` could not find it."""
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd="/",
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    return result


def smoke_fields(name):
    """The model fields among recipe `name`'s `smoke` settings: the tiny sizes a --smoke run
    trains (fields the recipe derives from its data, such as an image shape, are not among them)."""
    entry = get_entry(name)
    fields = entry.default_config()
    return {k: v for k, v in entry.recipe().smoke.items() if k in fields}


def tiny(name, **overrides):
    """A fresh model `name` of its recipe's smoke size, built and run in seconds: the tests' one
    way to make a small model. `overrides` are the fields a test needs otherwise (a vocabulary,
    an image shape, another size, another seed). Seeded (Keras' global seed and the model's
    `seed`, 0 unless overridden), so its weights and draws repeat."""
    keras.utils.set_random_seed(0)
    return zoo.load(name, **{**smoke_fields(name), "seed": 0, **overrides})


def eager(*models):
    """Runs the models' `fit` steps eagerly (`run_eagerly`) and returns the first: for a test of
    what a training step computes or keeps (its losses, averages, optimizer state), not of its
    compiling. Tracing a GAN's step takes seconds, running it once eagerly well under one; every
    model's compiled step stays tested by its smoke run and by test_model_contract's
    `test_fit_step_on_real_batch_updates_weights_and_tracks_metrics`. Call it after `compile()`
    (which sets `run_eagerly` again) and before the first `fit` (which keeps its step function)."""
    for model in models:
        model.run_eagerly = True
    return models[0]


def params(default, slow=()):
    """Cases for `pytest.mark.parametrize` (or a fixture's `params`): those in `default` run by
    default, those in `slow` only with `-m slow` — the one way a test sends some of its cases to
    the slow run (a whole test takes `@pytest.mark.slow`). A case of several arguments is a
    tuple. Say beside the call which default test keeps each slow case's mechanism covered.

    >>> [getattr(case, "values", case) for case in params(["dcgan"], slow=["vae", ("vae", 2)])]
    ['dcgan', ('vae',), ('vae', 2)]
    """
    both = set(default) & set(slow)
    if both:
        raise ValueError(f"{sorted(both, key=str)} are both default and slow cases")
    return [*default, *(pytest.param(*(case if isinstance(case, tuple) else (case,)), marks=pytest.mark.slow)
                        for case in slow)]


def refusal(argv, capsys):
    """(exit status, the one error line) of `zoo ...argv`: a refused command prints exactly one
    error line, last (a bad flag after its usage lines)."""
    from zoo.cli import main

    try:
        status = main(argv)
    except SystemExit as e:
        status = e.code
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 1 and lines[-1] == errors[0], lines
    return status, errors[0]


# The class-conditional variants (issue 40) run their unconditional models' code with labels.
# The checks that go over every model take one of them by default (vae_conditional: labels at
# every kind of endpoint), the others with -m slow; tests/test_conditional.py covers the labels
# of each kind of model in the default run.
# So do cnn_lstm_image_classifier (lstm_image_classifier with frontend="conv") and dense_gan (an
# ImageGAN as dcgan is, with dense networks): their own files test what is particular to them.
SLOW_VARIANTS = ("dcgan_conditional", "lstm_gan_image_conditional", "pixel_lstm_conditional",
                 "cnn_lstm_image_classifier", "dense_gan")


class SmokeRuns(collections.abc.Mapping):
    """{name: (output folder, model card)} of one smoke-sized run of each recipe, each run the
    first time a test asks for it (a recipe no test of this session reads costs nothing)."""

    def __init__(self, tmp_path_factory):
        self._factory, self._runs = tmp_path_factory, {}

    def __getitem__(self, name):
        if name not in self._runs:
            recipe = zoo.registry.get_entry(name).recipe()  # a KeyError names an unknown model
            output = self._factory.mktemp(f"smoke-{name}")
            self._runs[name] = (output, recipe.main(["--smoke", "--output", str(output)]))
        return self._runs[name]

    def __contains__(self, name):  # without running it
        return name in zoo.list_models()

    def __iter__(self):
        return iter(zoo.list_models())

    def __len__(self):
        return len(zoo.list_models())


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One smoke-sized run of each recipe: {name: (output folder, model card)}, run when first read."""
    return SmokeRuns(tmp_path_factory)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which reads the groups
def pytest_collection_modifyitems(config, items):
    """The default run spreads the tests over two processes (pytest-xdist, `-n 2 --dist
    loadgroup`: the README's test command): every test that reads the session's smoke runs goes to
    one of them, so the eight smoke trainings are made once, not once per process."""
    for item in items:
        if "smoke_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("smoke_run"))
