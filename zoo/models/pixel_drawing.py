"""Drawing binary images from a `PixelLSTM` (`zoo.models.pixel_lstm`): row by row, as the
LSTM reads them, and within a row value by value, each drawn from its logit given the values
before it. `PixelLSTM.sample` and `complete` run it as a compiled graph; the exported `sample`
and `complete` signatures trace it.
"""

import weakref

import tensorflow as tf
from keras import ops

from zoo.models.cells import states_per_layer


def drawn_images(model, images, known_rows, seed, labels, temperature, guidance):
    """Binary images [batch, h, w, c] whose top `known_rows` rows are kept and the others drawn
    by `model` (floats 0 or 1) at `temperature` and `guidance` (checked numbers), in a compiled
    graph; `seed` None draws from the model's own random stream; `labels` [batch] the classes a
    conditional model draws (None otherwise)."""
    rows = ops.reshape(model.thresholded(images), (-1, model.image_shape[0], model.row_size))
    uniform = model.uniform_draws(ops.shape(rows)[0], seed)
    labels = tf.zeros(tf.shape(rows)[:1], tf.int32) if labels is None else tf.cast(labels, tf.int32)
    guided = is_guided(guidance)
    options = (tf.constant(guidance, tf.float32),) if guided else ()
    rows = drawing_function(model, guided)(tf.convert_to_tensor(rows), tf.constant(known_rows, tf.int32), uniform,
                                           labels, tf.constant(temperature, tf.float32), *options)
    return ops.reshape(rows, (-1, *model.image_shape))


def is_guided(guidance):
    """Whether a draw at `guidance` (a number, or a scalar tensor known only when it runs) runs
    the guided graph: any tensor, or a number other than 0."""
    return tf.is_tensor(guidance) or float(guidance) != 0


def draw_rows(model, rows, known_rows, uniform, labels=None, temperature=None, guidance=None):
    """Rows [batch, h, row_size] of binary values whose first `known_rows` are kept and the
    others drawn by `model`, value by value: value i is 1 where uniform[..., i] <
    sigmoid(logit_i / T), logit_i that of p(x_i = 1 | x_<i) and T the `temperature` (None: the
    model's `sample_temperature`). The LSTM steps once per row; the row's context terms are
    computed once and reused for each of its values. `labels` [batch]: the classes a
    conditional model draws (ignored by an unconditional one).

    `guidance` w (None: the model's own; a number or a scalar tensor): classifier-free
    guidance, logit_i = (1 + w)·logit(x_i | x_<i, y) − w·logit(x_i | x_<i). The batch is run
    twice over in one: each image beside a copy of itself whose class is hidden (its one-hot
    code all zeros, as `label_dropout` hid it in training), both given the values drawn. A
    Python 0 draws from p(x | y) alone, at half the work."""
    guidance = model.guidance if guidance is None else guidance
    guided = is_guided(guidance)
    height, size = model.image_shape[0], model.row_size
    images = tf.shape(rows)[0]
    if guided:
        rows = tf.concat([rows, rows], 0)
        labels = tf.concat([labels, -tf.ones_like(labels)], 0)  # one_hot(-1): all zeros, the hidden class
    batch = tf.shape(rows)[0]
    zeros = tf.zeros((batch, model.units), model.lstms[0].compute_dtype)  # bfloat16 under mixed precision
    states = [[zeros] * states_per_layer(model.cell) for _ in model.lstms]  # an LSTM's h and c, another cell's h
    above = [tf.zeros((batch, size)) for _ in range(max(model.context_rows, 1))]  # nearest first
    classes = [tf.one_hot(labels, model.num_classes)] if model.num_classes else []  # beside each row's position
    temperature = model.sample_temperature if temperature is None else temperature

    def draw_row(context_terms, row_uniform):
        def step(i, row):
            logits = tf.cast(model.row_logits(row, context_terms)[:, i], tf.float32)
            if guided:
                given, hidden = logits[:images], logits[images:]
                logits = given + guidance * (given - hidden)
            bit = tf.cast(row_uniform[:, i] < tf.sigmoid(logits / temperature), row.dtype)
            if guided:
                bit = tf.concat([bit, bit], 0)
            return i + 1, row + bit[:, None] * tf.one_hot(i, size)[None]

        return tf.while_loop(lambda i, _: i < size, step, (tf.constant(0), tf.zeros((batch, size))))[1]

    def next_row(r, above, states, drawn):
        position = tf.concat([tf.broadcast_to(tf.one_hot(r, height)[None], (batch, height)), *classes], axis=-1)
        step = tf.cast(tf.concat([above[0], position], axis=-1), zeros.dtype)
        h, new_states = model.lstms[0].cell(step, states[0])
        new_states = [new_states]
        for lstm, state in zip(model.lstms[1:], states[1:]):
            out, state = lstm.cell(h, state)
            h = out + h
            new_states.append(state)
        context = tf.concat([tf.cast(h, tf.float32), *above[:model.context_rows], position], axis=-1)
        terms = model.context_terms(context, above[:model.context_rows])
        row = tf.cond(r < known_rows, lambda: rows[:, r], lambda: draw_row(terms, uniform[:, r]))
        return r + 1, [row] + above[:-1], [list(s) for s in new_states], drawn.write(r, row)

    drawn = tf.TensorArray(tf.float32, size=height, element_shape=(None, size))
    drawn = tf.while_loop(lambda r, *_: r < height, next_row, (tf.constant(0), above, states, drawn))[3]
    return tf.transpose(drawn.stack(), [1, 0, 2])[:images]


# Drawing runs 784 small steps: as a compiled graph, not step by step in eager mode. The graphs
# of a model, kept outside the model so that Keras and SavedModel export never track it, and
# holding the model only weakly so that a model that has drawn can still be freed.
_DRAWING_FUNCTIONS = weakref.WeakKeyDictionary()


def drawing_function(model, guided=False):
    """`draw_rows` of `model` as a compiled graph of (rows, known_rows, uniform, labels,
    temperature), and guidance when `guided`: two graphs per model, the unguided one half the work."""
    functions = _DRAWING_FUNCTIONS.setdefault(model, {})
    if guided not in functions:
        spec = tf.TensorSpec((None, model.image_shape[0], model.row_size), tf.float32)
        scalar = tf.TensorSpec((), tf.float32)
        owner = weakref.ref(model)

        def compiled(rows, known_rows, uniform, labels, temperature, guidance=0):
            return draw_rows(owner(), rows, known_rows, uniform, labels, temperature, guidance)

        functions[guided] = tf.function(compiled, input_signature=[spec, tf.TensorSpec((), tf.int32), spec,
                                                                   tf.TensorSpec((None,), tf.int32), scalar,
                                                                   *[scalar] * guided])
    return functions[guided]
