"""The frame networks and pixel helpers of `convlstm_video`: the convolutional encoder and the
U-Net decoder around its ConvLSTM cells, the per-pixel loss, the sharpening of a generated
frame, and the two operations of its moved-frame prediction (CDNA, Finn et al. 2016):
`translate` (each clip's frame convolved with its own kernels) and `shift_correlation` (how far
the last frame moved, as such a kernel).

>>> import tensorflow as tf
>>> frames = tf.reshape(tf.one_hot(3 * 8 + 3, 64), (1, 8, 8, 1))  # one lit pixel at (3, 3)
>>> right = tf.reshape(tf.one_hot(1 * 3 + 0, 9), (1, 3, 3, 1))  # the kernel that moves a frame 1 pixel right
>>> int(tf.argmax(tf.reshape(translate(frames, right), [-1])))  # the pixel is now at (3, 4)
28
"""

import keras
import tensorflow as tf
from keras import layers


def binary_cross_entropy(target, probabilities, epsilon=1e-6):
    """Per-pixel cross-entropy (nats) of probabilities in [0, 1] against targets in [0, 1]."""
    p = tf.clip_by_value(probabilities, epsilon, 1 - epsilon)
    return -(target * tf.math.log(p) + (1 - target) * tf.math.log(1 - p))


def sharpened(probabilities, temperature):
    """Pixel probabilities at `temperature` T: sigmoid(logit(p) / T), sharper below 1 (a generated
    frame, before it is fed back)."""
    if temperature == 1.0:
        return probabilities
    p = tf.clip_by_value(probabilities, 1e-4, 1 - 1e-4)
    # log(1 - p), not log1p(-p): ONNX has no Log1p, and 1 - p ≥ 1e-4 loses nothing here.
    return tf.sigmoid((tf.math.log(p) - tf.math.log(1 - p)) / temperature)


def translate(frames, kernels):
    """Each frame [batch, h, w, c] convolved with its own kernels [batch, s, s, k] (one kernel
    for all channels) → [batch, h, w, c, k]: a per-clip convolution, run as one depthwise
    convolution with the batch moved into the channels."""
    batch, height, width, channels = (tf.shape(frames)[i] for i in range(4))
    count = kernels.shape[3]
    stacked = tf.reshape(tf.transpose(frames, [1, 2, 0, 3]), [1, height, width, batch * channels])
    filters = tf.repeat(tf.transpose(kernels, [1, 2, 0, 3]), channels, axis=2)  # [s, s, batch·c, k]
    moved = tf.nn.depthwise_conv2d(stacked, filters, [1, 1, 1, 1], "SAME")
    moved = tf.reshape(moved, [height, width, batch, channels, count])
    return tf.transpose(moved, [2, 0, 1, 3, 4])


def shift_correlation(previous, frames, size):
    """How well each shift moves `previous` onto `frames` (both [batch, h, w, c]): [batch, s, s],
    the correlation of the two at every shift of at most (s − 1) / 2 pixels, divided by the
    frame's own energy, with the axes reversed so that it reads as the `translate` kernel that
    moves `frames` once more by the same shift (a correlation layer, as in FlowNet)."""
    batch, height, width, channels = (tf.shape(frames)[i] for i in range(4))
    r = (size - 1) // 2
    stacked = tf.reshape(tf.transpose(frames, [1, 2, 0, 3]), [1, height, width, batch * channels])
    stacked = tf.pad(stacked, [[0, 0], [r, r], [r, r], [0, 0]])
    kernel = tf.transpose(previous, [1, 2, 0, 3])[..., None]  # [h, w, batch·c... per sample, 1]
    kernel = tf.reshape(kernel, [height, width, batch * channels, 1])
    corr = tf.nn.depthwise_conv2d(stacked, kernel, [1, 1, 1, 1], "VALID")  # [1, s, s, batch·c]
    corr = tf.reduce_sum(tf.reshape(corr, [size, size, batch, channels]), axis=-1)
    energy = tf.reduce_sum(tf.square(frames), axis=[1, 2, 3])
    corr = tf.transpose(corr, [2, 0, 1]) / (energy[:, None, None] + 1e-3)
    return corr[:, ::-1, ::-1]


def frame_encoder(frame_shape, filters):
    """Frame [h, w, c] (the frame and its difference from the previous one) → the features of
    each level, finest first: a stride-2 3×3 convolution and a 3×3 convolution per level (level
    i is h / 2^(i+1) pixels high); the coarsest, which the ConvLSTM cells read, layer-normalised."""
    frame = keras.Input(frame_shape, name="frame")
    x, levels = frame, []
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"down_{i}")(x)
        x = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv_{i}")(x)
        levels.append(x)
    levels[-1] = layers.LayerNormalization(name="memory_input_norm")(levels[-1])  # keeps the cells' gates unsaturated
    return keras.Model(frame, levels, name="encoder")


def frame_decoder(frame_shape, filters, memory_filters, outputs):
    """(ConvLSTM output at the coarsest level, the encoder's levels of the current frame) →
    `outputs` logits per pixel [h, w, outputs]. The encoder's levels come in as skip connections
    (U-Net): the digit's appearance need not pass through the recurrent state, only its motion."""
    height, width, channels = frame_shape
    scale = 2 ** len(filters)
    memory = keras.Input((height // scale, width // scale, memory_filters), name="memory")
    levels = [keras.Input((height // 2 ** (i + 1), width // 2 ** (i + 1), f), name=f"level_{i}")
              for i, f in enumerate(filters)]
    x = memory
    for i in reversed(range(len(filters))):
        x = layers.Concatenate(name=f"skip_{i}")([x, levels[i]])
        x = layers.Conv2D(filters[i], 3, padding="same", activation="relu", name=f"mix_{i}")(x)
        x = layers.Conv2DTranspose(filters[i - 1] if i else filters[0], 3, strides=2, padding="same",
                                   activation="relu", name=f"up_{i}")(x)
    logits = layers.Conv2D(outputs, 3, padding="same", name="pixel_logits")(x)
    return keras.Model([memory, *levels], logits, name="decoder")
