"""The recurrent cell a model is built with: an LSTM (the default), a GRU or a plain tanh RNN.

The articles the zoo grew from credit the LSTM's gates with solving the plain RNN's vanishing
gradient. Every model whose recurrent layers can be swapped takes a `cell` field, so the claim
can be measured in the zoo's own models (`python -m benchmarks.cells`). The helpers here build
Keras' own layers and cells; `ReadingLSTM` (`zoo.models.layers`) has its own unrolled versions.

An LSTM keeps two state vectors per layer (h and c); a GRU and a plain RNN one (h).

>>> [type(recurrent_layer(cell, 8)).__name__ for cell in CELLS]
['LSTM', 'GRU', 'SimpleRNN']
"""

from keras import layers

CELLS = ("lstm", "gru", "rnn")
_LAYERS = {"lstm": layers.LSTM, "gru": layers.GRU, "rnn": layers.SimpleRNN}
_CELLS = {"lstm": layers.LSTMCell, "gru": layers.GRUCell, "rnn": layers.SimpleRNNCell}


def _checked(cell):
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}.")
    return cell


def recurrent_layer(cell, units, **kwargs):
    """A Keras recurrent layer of the kind `cell` names.

    Args:
        cell: "lstm" (`keras.layers.LSTM`), "gru" (`GRU`) or "rnn" (`SimpleRNN`, tanh).
        units: the layer's units.
        **kwargs: passed on to the layer (`return_sequences`, `name`, ...).

    Returns:
        keras.layers.Layer: the recurrent layer.

    Raises:
        ValueError: `cell` is none of `CELLS`.

    Examples:
        >>> recurrent_layer("gru", 8, return_sequences=True, name="gru_0").name
        'gru_0'
        >>> recurrent_layer("transformer", 8)
        Traceback (most recent call last):
        ...
        ValueError: cell must be one of ('lstm', 'gru', 'rnn'), got 'transformer'.
    """
    return _LAYERS[_checked(cell)](units, **kwargs)


def recurrent_cell(cell, units, **kwargs):
    """A Keras recurrent cell (one step) of the kind `cell` names, for a loop of one's own.

    Args:
        cell: "lstm" (`keras.layers.LSTMCell`), "gru" (`GRUCell`) or "rnn" (`SimpleRNNCell`).
        units: the cell's units.
        **kwargs: passed on to the cell (`name`, ...).

    Returns:
        keras.layers.Layer: the cell; called as `cell(x, states)` it returns
            (output, new states), the states a list of `states_per_layer(cell)` tensors.

    Raises:
        ValueError: `cell` is none of `CELLS`.

    Examples:
        >>> import numpy as np
        >>> step = recurrent_cell("rnn", 4)
        >>> output, states = step(np.zeros((2, 3), "float32"), [np.zeros((2, 4), "float32")])
        >>> output.shape, len(states)
        (TensorShape([2, 4]), 1)
    """
    return _CELLS[_checked(cell)](units, **kwargs)


def states_per_layer(cell):
    """How many state vectors a recurrent layer of kind `cell` carries from step to step.

    Args:
        cell: one of `CELLS`.

    Returns:
        int: 2 for an LSTM (h and c), 1 for a GRU or a plain RNN (h).

    Raises:
        ValueError: `cell` is none of `CELLS`.

    Examples:
        >>> states_per_layer("lstm"), states_per_layer("gru")
        (2, 1)
    """
    return 2 if _checked(cell) == "lstm" else 1
