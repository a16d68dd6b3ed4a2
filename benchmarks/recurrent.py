"""Which of a model's recurrent layers take the cuDNN kernel on a GPU, and why the others cannot.

Keras' `LSTM` and `GRU` layers run one fused cuDNN kernel for the whole sequence on a GPU when
their settings allow it (TensorFlow backend: tanh activation, sigmoid recurrent activation, a
bias, no recurrent dropout, not unrolled, `use_cudnn` not False; for a GRU also
`reset_after=True`; a mask must be right-padded, which only a call can tell). Every other
recurrent layer steps through time with one small kernel per step: a cell inside
`keras.layers.RNN` (its loop, or its unrolled copy), or an LSTM written out by hand. The check
reads the layers' settings, so it answers on any machine, GPU or not.
"""

import keras
import tensorflow as tf


def _why_not_cudnn(layer):
    cell = layer.cell
    activations = keras.activations
    reasons = []
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    if getattr(cell, "recurrent_dropout", 0):
        reasons.append("recurrent dropout")
    if cell.activation not in (activations.tanh, keras.ops.tanh, tf.tanh):
        reasons.append(f"activation {getattr(cell.activation, '__name__', cell.activation)}")
    if cell.recurrent_activation not in (activations.sigmoid, keras.ops.sigmoid, tf.sigmoid):
        reasons.append("a recurrent activation other than sigmoid")
    if layer.unroll:
        reasons.append("unrolled")
    if not cell.use_bias:
        reasons.append("no bias")
    if isinstance(layer, keras.layers.GRU) and not cell.reset_after:
        reasons.append("reset_after=False")
    return ", ".join(reasons)


def recurrent_layers(model):
    """Every recurrent layer of `model`, in order: a list of dicts with its `layer` name, `kind`
    and `cudnn` (whether it takes the cuDNN kernel on a GPU) and, where it does not, `why`.

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_sequences=True),
        ...                           keras.layers.LSTM(4, unroll=True)])
        >>> [(r["kind"], r["cudnn"], r.get("why")) for r in recurrent_layers(model)]
        [('LSTM', True, None), ('LSTM', False, 'unrolled')]
    """
    found = []

    def visit(layer, path):
        for sub in layer._flatten_layers(include_self=False, recursive=False):
            where = f"{path}/{sub.name}" if path else sub.name
            if isinstance(sub, keras.layers.RNN):
                found.append({"layer": where, **_classified(sub)})
            elif hasattr(sub, "recurrent_kernel") and not hasattr(sub, "state_size"):
                cell = getattr(sub, "cell", "lstm")
                why = f"{'an LSTM' if cell == 'lstm' else 'a ' + cell.upper()} written out step by step (one kernel per step)"
                if getattr(sub, "spectral_norm", False):
                    why += ", its kernels spectrally normalised"
                found.append({"layer": where, "kind": type(sub).__name__, "cudnn": False, "why": why})
            else:
                visit(sub, where)

    visit(model, "")
    return found


def _classified(layer):
    if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        why = _why_not_cudnn(layer)
    elif layer.unroll:
        why = f"a {type(layer.cell).__name__} unrolled in keras.layers.RNN (one kernel per step)"
    else:
        why = f"a {type(layer.cell).__name__} stepped by keras.layers.RNN's loop (one kernel per step)"
    kind = type(layer).__name__
    return {"kind": kind if kind != "RNN" else f"RNN({type(layer.cell).__name__})", "cudnn": not why,
            **({"why": why} if why else {})}


def summary(found):
    """'2 of 3' style count of the layers that take cuDNN, or '–' for a model with none."""
    return f"{sum(r['cudnn'] for r in found)} of {len(found)}" if found else "–"
