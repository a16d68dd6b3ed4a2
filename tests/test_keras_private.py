"""`zoo.keras_private` pinned: the running Keras is one the private calls were checked on, each
private name still exists on a small real model, and each function gives the answer the zoo
relies on. A Keras upgrade that renames one fails here, not deep inside a training run."""

import inspect
import re
from pathlib import Path

import keras
import pytest
import tensorflow as tf

from zoo import keras_private
from zoo.models.base import ZooModel

ZOO = Path(__file__).resolve().parent.parent / "zoo"


class Tiny(ZooModel):
    """A generator of its own, a dropout layer, and a dropout inside a sub-network: the three
    places a zoo model keeps SeedGenerators."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1)
        self.dense = keras.layers.Dense(3)
        self.dropout = keras.layers.Dropout(0.5, seed=2)
        self.head = keras.Sequential([keras.layers.Dropout(0.5, seed=3), keras.layers.Dense(2)])

    def call(self, x, training=False):
        return self.head(self.dropout(self.dense(x), training=training), training=training)


def built_tiny():
    model = Tiny()
    model(tf.zeros((1, 4)))
    return model


class ReadIsAnError:
    """An epoch iterator that fails if Keras reads a batch from it (in any of the forms Keras
    3.5 to 3.15 iterate it)."""

    class Read(Exception):
        pass

    def __iter__(self):
        raise self.Read

    def enumerate_epoch(self):
        raise self.Read


def tensorflow_trainer():
    return next(c for c in keras.Model.__mro__ if c.__name__ == "TensorFlowTrainer")


def test_installed_keras_is_in_checked_range():
    assert keras_private.keras_in_checked_range(), (
        f"Keras {keras.__version__} is outside {keras_private.CHECKED_KERAS}, the range zoo.keras_private was "
        "checked on: if this file passes otherwise, widen CHECKED_KERAS to include it.")


@pytest.mark.parametrize("version, inside", [("3.5.0", True), ("3.15.1", True), ("3.4.1", False),
                                             ("3.16.0", False), ("4.0.0", False)])
def test_checked_range_bounds(version, inside):
    assert keras_private.keras_in_checked_range(version) is inside


def test_private_names_exist_on_a_real_model():
    model = built_tiny()
    assert callable(model._flatten_layers)
    assert "include_self" in inspect.signature(model._flatten_layers).parameters
    assert all(isinstance(layer._seed_generators, list) for layer in model._flatten_layers())
    hook = inspect.signature(tensorflow_trainer()._maybe_symbolic_build).parameters
    assert {"iterator", "data_batch"} <= set(hook)
    assert callable(tf.distribute.get_strategy().extended._in_multi_worker_mode)
    # The strategy `step_logs` asks about is a MultiWorkerMirroredStrategy; creating one here
    # would set up collective ops for the whole test process, so its class is checked instead.
    extended = inspect.getmodule(tf.distribute.MultiWorkerMirroredStrategy).CollectiveAllReduceExtended
    assert callable(extended._in_multi_worker_mode)


def test_keras_still_calls_what_the_zoo_overrides_or_mirrors():
    trainer = tensorflow_trainer()
    # ZooModel._maybe_symbolic_build is dead code if fit stops calling it with the iterator.
    assert "self._maybe_symbolic_build(iterator=" in inspect.getsource(trainer.fit)
    # step_logs reshapes logs exactly when Keras averages them along axis 0; Keras decides that
    # with the same private call.
    assert "_in_multi_worker_mode()" in inspect.getsource(inspect.getmodule(trainer))


def test_seed_generators_are_found_in_order():
    model = built_tiny()
    found = keras_private.seed_generators_in_order(model)
    assert found == [model.seed_generator, model.dropout.seed_generator, model.head.layers[0].seed_generator]
    assert keras_private.own_seed_generators(model.dense) == []
    assert model._seed_generators_in_order() == found  # what save_own_variables numbers


def test_flatten_layers_reaches_sub_networks():
    model = built_tiny()
    layers = keras_private.flatten_layers(model)
    assert layers[0] is model and model.head.layers[0] in layers and model.head.layers[1] in layers
    assert model not in keras_private.flatten_layers(model, include_self=False)


def test_all_layers_built():
    model = Tiny()
    assert not keras_private.all_layers_built(model)
    model(tf.zeros((1, 4)))
    assert keras_private.all_layers_built(model)


def test_a_built_model_reads_no_batch_to_build_under_a_strategy():
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        model = built_tiny()
        model.compile(optimizer="adam")
    with pytest.raises(ReadIsAnError.Read):  # Keras' own hook reads one, built or not
        keras_private.symbolic_build(ZooModel, model, iterator=ReadIsAnError())
    model._maybe_symbolic_build(iterator=ReadIsAnError())
    assert model.optimizer.built  # the rest of Keras' build still ran


def test_not_in_multi_worker_mode_in_one_process():
    assert keras_private.in_multi_worker_mode(tf.distribute.get_strategy()) is False
    assert keras_private.in_multi_worker_mode(tf.distribute.OneDeviceStrategy("/cpu:0")) is False


def test_private_keras_is_used_only_through_keras_private():
    private = re.compile(r"keras\.src|tensorflow\.python|\._flatten_layers|\._seed_generators\b|"
                         r"\._in_multi_worker_mode|super\(\)\._maybe_symbolic_build")
    offenders = [f"{path.relative_to(ZOO.parent)}:{n}: {line.strip()}"
                 for path in sorted(ZOO.rglob("*.py")) if path.name != "keras_private.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1) if private.search(line)]
    assert not offenders, "route these through zoo.keras_private:\n" + "\n".join(offenders)
