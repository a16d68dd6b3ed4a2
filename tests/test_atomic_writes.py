"""A failure in the middle of writing weights, a model card or an export leaves the previous
files intact and loadable, and no half-written file behind (write to a temporary name, then
rename). Failures are injected into the writers after they have written part of their output."""

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import cards, training
from zoo.recipe import TrainSettings

NAME = "lstm_image_classifier"


class Interrupted(Exception):
    pass


def _model_folder(smoke_run, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(smoke_run[NAME][0], folder)
    return folder


def _leftovers(folder):
    return [p.name for p in Path(folder).iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_a_failure_while_saving_weights_keeps_the_previous_model(smoke_run, tmp_path, monkeypatch):
    folder = _model_folder(smoke_run, tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    card = json.loads((folder / cards.CARD).read_text())
    model = zoo.load(NAME, weights=folder)
    model.set_weights([w + 1.0 for w in model.get_weights()])  # a different model to save

    def half_then_fail(self, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89HDF\r\n half a file")
        raise Interrupted("killed mid-write")

    monkeypatch.setattr(keras.Model, "save_weights", half_then_fail)
    with pytest.raises(Interrupted):
        training.save_trained(model, NAME, folder, config=TrainSettings(), history=card["history"],
                              metrics=card["metrics"], dataset=card["dataset"])
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert not _leftovers(folder)
    reloaded = zoo.load(NAME, weights=folder)  # checks the card's SHA-256 of the weights
    assert training.weights_digest(reloaded) != training.weights_digest(model)


def test_a_failure_while_writing_the_card_keeps_the_previous_card(smoke_run, tmp_path, monkeypatch):
    folder = _model_folder(smoke_run, tmp_path)
    before = (folder / cards.CARD).read_text()
    real_write_text = Path.write_text

    def half_then_fail(self, text, *args, **kwargs):
        real_write_text(self, text[: len(text) // 2])
        raise Interrupted("killed mid-write")

    monkeypatch.setattr(Path, "write_text", half_then_fail)
    with pytest.raises(Interrupted):
        cards.write_card(folder, {**json.loads(before), "metrics": {"test_accuracy": 0.0}})
    monkeypatch.undo()
    assert (folder / cards.CARD).read_text() == before and not _leftovers(folder)
    assert cards.read_card(folder) == json.loads(before)


def test_a_failure_while_exporting_publishes_no_version(tmp_path, monkeypatch):
    model = zoo.load(NAME, units=8)
    first = zoo.export(model, tmp_path / "serving")
    files = sorted(p.relative_to(first) for p in first.rglob("*"))

    def half_then_fail(obj, path, *args, **kwargs):
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "saved_model.pb").write_bytes(b"half")
        raise Interrupted("killed mid-export")

    monkeypatch.setattr(tf.saved_model, "save", half_then_fail)
    with pytest.raises(Interrupted):
        zoo.export(model, tmp_path / "serving")
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "serving").iterdir()) == ["1"]  # TF Serving sees only version 1
    assert sorted(p.relative_to(first) for p in first.rglob("*")) == files
    assert zoo.export(model, tmp_path / "serving").name == "2"  # the failed attempt left no trace
    np.testing.assert_equal(len(list((tmp_path / "serving").iterdir())), 2)
