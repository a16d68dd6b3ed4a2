"""Every use of a private Keras or TensorFlow API in the zoo, each behind one small function.

Each is here because no public API does the job; each function says why the zoo needs it.
Private names change without notice between releases, so `tests/test_keras_private.py` checks
that every one still exists and still answers as the zoo expects: a Keras upgrade that drops
one fails there, not as a resumed run that silently replays its random draws or a distributed
run that reads its data in another order.

Checked range: in the source of every Keras minor release from 3.5.0 to 3.15.1 each name
below exists with the signature and the meaning relied on here, and the tests pass on 3.15.1.
Keras 3.3 and 3.4, which setup.cfg still allows, have `_flatten_layers` and `_seed_generators`
but not `_maybe_symbolic_build`: there `ZooModel`'s override of it is never called.
"""

import keras
from packaging.specifiers import SpecifierSet

CHECKED_KERAS = (">=3.5", "<3.16")


def keras_in_checked_range(version=None):
    """Whether Keras `version` (default: the running one) lies in `CHECKED_KERAS`. Outside it
    the zoo may still work: run `tests/test_keras_private.py` and widen the range if it passes."""
    return SpecifierSet(",".join(CHECKED_KERAS)).contains(version or keras.__version__, prereleases=True)


def flatten_layers(layer, include_self=True):
    """`layer` (when `include_self`) and every layer it holds, at any depth, in a fixed order.

    `Layer._flatten_layers`: unlike the public `Model.layers`, it descends into sub-networks
    (a GAN's generator and discriminator) and reaches layers held as plain attributes. Its
    order is Keras' own traversal, which a saved file's seed-generator keys depend on."""
    return layer._flatten_layers(include_self=include_self)


def own_seed_generators(layer):
    """The `keras.random.SeedGenerator`s that `layer` itself holds (not its sub-layers').

    `Layer._seed_generators`: Keras tracks them to make them part of the layer's state, but
    offers no public accessor."""
    return layer._seed_generators


def seed_generators_in_order(model):
    """Every SeedGenerator of `model` and its layers (a dropout layer's included), in the order
    `flatten_layers` gives. Keras does not save their state with a model; the zoo does, one key
    per position in this list, so the order must stay the same between save and load."""
    return [generator for layer in flatten_layers(model) for generator in own_seed_generators(layer)]


def all_layers_built(model):
    """Whether `model` and every layer it holds are built: then Keras' symbolic build has
    nothing to create, and needs no data batch."""
    return all(layer.built for layer in flatten_layers(model))


def symbolic_build(cls, model, iterator=None, data_batch=None):
    """Keras' `_maybe_symbolic_build` as inherited above `cls` (the class that overrides it).

    The TF trainer calls this private hook at the start of `fit`, `evaluate` and `predict`;
    under a strategy it reads one batch from `iterator` to build the model. It can only be
    changed by overriding it, so the override calls the original through this function."""
    return super(cls, model)._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)


def in_multi_worker_mode(strategy):
    """Whether `strategy` (a `tf.distribute.MultiWorkerMirroredStrategy`) spans several worker
    processes, rather than the devices of one.

    `strategy.extended._in_multi_worker_mode()` (TensorFlow's, not Keras'): Keras' TF trainer
    averages a step's logs along axis 0 exactly when this is true
    (`_collective_all_reduce_multi_worker`), so `ZooModel.step_logs` must ask the same
    question to know when to give them that axis. Checked on TensorFlow 2.21."""
    return strategy.extended._in_multi_worker_mode()
