"""The zoo's one pixel convention, in code (docs: guides/python-api.md, "Pixels").

Images go in as raw pixels (0–255, `uint8` or any number type), [batch, height, width,
channels]; a single-channel image may leave out its channel axis ([batch, height, width]; a
clip [batch, frames, height, width]). Images come out as `uint8` — what a served signature
returns and what an image file holds — unless the caller asks for `output="float"`: the values
in [0, 1] the network computed (pixel probabilities, Bernoulli means, a GAN's pixels), which
metrics and plots that measure the model itself use, since rounding would move them.
"""

import tensorflow as tf
from keras import ops

from zoo.models.serving import expect_shape, shape_text

OUTPUTS = ("uint8", "float")


def checked_output(output):
    """`output` once it is seen to be one of `OUTPUTS`, else a ValueError naming them. Checked
    before a method draws anything: a pixel-by-pixel draw takes seconds."""
    if not isinstance(output, str) or output not in OUTPUTS:
        raise ValueError(f"output must be 'uint8' (images, the default) or 'float' (values in [0, 1]), got {output!r}.")
    return output


def as_output(values, output):
    """Image values in [0, 1] as `output` asks: "uint8" round(255 · value), as the exported
    signatures give them, or "float" the values themselves."""
    if checked_output(output) == "float":
        return values
    return tf.cast(tf.round(tf.convert_to_tensor(values) * 255.0), tf.uint8)


def expect_images(x, sizes, name):
    """`x` with its channel axis, once its shape is seen to fit `sizes` (which end in height,
    width, channels; see `expect_shape`). Single-channel images may come without the channel
    axis, which is added: a [batch, 28, 28] array is a batch of 28×28 images, never 28 rows."""
    shape = getattr(x, "shape", None)
    if shape is not None and sizes[-1] == 1 and getattr(x, "dtype", None) not in (tf.string, object):
        rank = tf.TensorShape(shape).rank
        if rank == len(sizes) - 1:
            if any(s is not None and d is not None and s != d for s, d in zip(sizes, shape)):
                raise ValueError(f"{name} must have shape {shape_text(sizes)} (or {shape_text(sizes[:-1])}), got "
                                 f"{list(shape)}.")
            x = ops.expand_dims(x, -1)
        elif rank is None:  # traced with relaxed shapes: the rank is known when it runs
            x = tf.convert_to_tensor(x)
            x = tf.cond(tf.equal(tf.rank(x), len(sizes) - 1), lambda: tf.expand_dims(x, -1), lambda: x)
    return expect_shape(x, sizes, name)
