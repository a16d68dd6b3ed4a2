"""FLOPs of a model's training step, counted from its graph with TensorFlow's profiler.

The profiler counts each op of a graph once, and a while loop's body, a separate function whose
shapes it cannot see, not at all. A Keras LSTM steps through time in such a loop, so the step is
traced with every LSTM unrolled (`unroll` is read when the layer is called, and does not change
its maths), and a graph that still holds a loop is refused rather than under-counted."""

import contextlib

import keras
import tensorflow as tf
from tensorflow.python.profiler import model_analyzer, option_builder


def graph_flops(concrete_function):
    """Floating-point operations of one call of `concrete_function` (a multiply-add is 2)."""
    graph = concrete_function.graph
    loops = [op.name for op in graph.get_operations() if op.type in ("While", "StatelessWhile")]
    if loops:
        raise ValueError(f"The graph has while loops ({', '.join(loops[:3])}); their FLOPs would not be counted.")
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return model_analyzer.profile(graph, options=options).total_float_ops


def recurrent(model):
    """Every Keras recurrent layer (LSTM, GRU, `keras.layers.RNN` of a cell) of `model`."""
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, keras.layers.RNN)]


@contextlib.contextmanager
def unrolled(model, unroll=True):
    """Every LSTM/GRU/RNN layer of `model` unrolled (or, with `unroll=False`, looping) inside
    the block (restored after)."""
    layers = recurrent(model)
    before = [layer.unroll for layer in layers]
    for layer in layers:
        layer.unroll = unroll
    try:
        yield layers
    finally:
        for layer, value in zip(layers, before):
            layer.unroll = value


def train_step_flops(model, batch):
    """FLOPs of one `model.train_step(batch)` (forward, backward and the optimizer update) with
    the batch's static shapes, per example: total / batch size."""
    specs = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), batch)
    with unrolled(model):
        concrete = tf.function(model.train_step).get_concrete_function(specs)
    size = int(tf.nest.flatten(batch)[0].shape[0])
    return graph_flops(concrete) / size
