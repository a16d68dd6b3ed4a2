"""The benchmark's FLOP count on cases with a known answer (the benchmark itself is not a
test: its figures are read, not asserted)."""

import keras
import pytest
import tensorflow as tf

from benchmarks import flops, run


def test_a_matrix_product_counts_two_flops_per_multiply_add():
    f = tf.function(lambda a, b: tf.matmul(a, b)).get_concrete_function(
        tf.TensorSpec((8, 16)), tf.TensorSpec((16, 4)))
    assert flops.graph_flops(f) == 2 * 8 * 16 * 4


def test_an_unrolled_lstm_counts_every_time_step_and_a_loop_is_refused():
    batch, steps, features, units = 4, 7, 5, 6
    model = keras.Sequential([keras.Input((steps, features)), keras.layers.LSTM(units)])
    spec = tf.TensorSpec((batch, steps, features))
    with pytest.raises(ValueError, match="while loops"):
        flops.graph_flops(tf.function(lambda x: model(x)).get_concrete_function(spec))
    with flops.unrolled(model) as lstms:
        assert len(lstms) == 1 and lstms[0].unroll
        counted = flops.graph_flops(tf.function(lambda x: model(x)).get_concrete_function(spec))
    assert not model.layers[0].unroll  # restored
    products = batch * steps * 2 * 4 * units * (features + units)  # the gates' matrix products
    assert products <= counted <= 1.3 * products  # plus the gates' element-wise maths


def test_the_table_names_every_figure():
    result = {"model": "m", "batch_size": 8, "precision": "float32", "train_real": 90.0, "train_synthetic": 100.0,
              "pipeline_ratio": 0.9, "flops_per_example": 2e6, "mfu": 0.5, "train_synthetic_xla": None,
              "serve_b1_p50_ms": 1.0, "serve_b1_p99_ms": 2.0, "serve_b64_p50_ms": 3.0, "serve_b64_p99_ms": 4.0,
              "peak_memory_mb": 500.0, "flops_note": "note"}
    text = run.table([result, {"model": "broken", "error": "boom"}], {"float32": 100.0},
                     {"cpu": "cpu", "cpu_count": 2, "gpus": [], "tensorflow": tf.__version__})
    assert "| `m` | 8 | float32 | 90 | 100 | 90% | 2.0 | 50% | fails | – |" in text
    assert "failed: boom" in text and "- `m`: note" in text
