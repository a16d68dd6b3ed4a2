"""Layers that more than one model uses, or that a model's readers will want on their own:
spectral normalisation (`SpectralConv2D` and the `spectrally_normalised` kernel it divides),
the masked dense layer of an autoregressive head (`MaskedDense`), ProGAN's minibatch standard
deviation (`MinibatchStd`) and an LSTM that reads an image's rows (`ReadingLSTM`). A model file
imports its layers from here, never from another model file.

>>> import numpy as np
>>> SpectralConv2D(4)(np.ones((2, 3), "float32")).shape  # on [batch, features]: a dense layer
TensorShape([2, 4])
"""

import keras
import numpy as np
from keras import layers, ops


@keras.saving.register_keras_serializable(package="zoo")
class SpectralConv2D(layers.Layer):
    """A convolution (or, on [batch, features], a dense layer) whose kernel is divided by its
    largest singular value σ (Miyato et al. 2018, "Spectral normalization for GANs").

    σ is estimated by one power iteration per training call, on a vector `u` that persists
    across steps; the gradient flows through σ (the paper's reparameterisation), with `u` and
    `v` held constant.

    The discriminators' spectrally normalised readout (`logit`) is this layer on [batch,
    features], not a dense layer of its own: the shipped weights and `.keras` files record it
    as a `zoo>SpectralConv2D` with a (features, filters) kernel, its bias and `u`, so a
    `SpectralDense` would be the clearer name but would no longer load them.

    Args:
        filters: output channels (output features, on [batch, features]).
        kernel_size: side of the square kernel (unused on [batch, features]).
        strides: the convolution's strides ("same" padding).
    """

    def __init__(self, filters, kernel_size=1, strides=1, **kwargs):
        kwargs.setdefault("autocast", False)  # σ in float32 under mixed precision; cast below
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides

    def build(self, input_shape):
        spatial = (self.kernel_size,) * (len(input_shape) - 2)
        self.kernel = self.add_weight(shape=(*spatial, input_shape[-1], self.filters),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        self.u = self.add_weight(shape=(1, self.filters), initializer=keras.initializers.RandomNormal(seed=0),
                                 trainable=False, name="u")

    def call(self, inputs, training=False):
        kernel = ops.cast(spectrally_normalised(self.kernel, self.u, training), self.compute_dtype)
        inputs = ops.cast(inputs, self.compute_dtype)
        if len(inputs.shape) == 2:
            outputs = ops.matmul(inputs, kernel)
        else:
            outputs = ops.conv(inputs, kernel, strides=self.strides, padding="same")
        return outputs + ops.cast(self.bias, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides}


@keras.saving.register_keras_serializable(package="zoo")
class ClassProjection(layers.Layer):
    """[features [batch, n], labels [batch]] → [batch, 1]: the inner product of each example's
    features with its class's embedding, the class term of a projection discriminator
    (Miyato & Koyama 2018, "cGANs with projection discriminator"): the discriminator's logit
    is ψ(φ(x)) + ⟨embed(y), φ(x)⟩. The embedding is spectrally normalised like the rest of the
    discriminator when `spectral_norm`, as in the paper.

    Args:
        num_classes: how many classes (labels lie in [0, num_classes)).
        spectral_norm: divide the embedding matrix by its largest singular value. Default: True.

    >>> layer = ClassProjection(3)
    >>> layer([np.ones((2, 4), "float32"), np.array([0, 2])]).shape
    TensorShape([2, 1])
    """

    def __init__(self, num_classes, spectral_norm=True, **kwargs):
        kwargs.setdefault("autocast", False)  # σ in float32 under mixed precision; cast below
        super().__init__(**kwargs)
        self.num_classes, self.spectral_norm = int(num_classes), bool(spectral_norm)

    def build(self, input_shape):
        features = input_shape[0][-1]
        self.embedding = self.add_weight(shape=(self.num_classes, features), initializer="glorot_uniform",
                                         name="embedding")
        if self.spectral_norm:
            self.u = self.add_weight(shape=(1, features), initializer=keras.initializers.RandomNormal(seed=0),
                                     trainable=False, name="u")

    def call(self, inputs, training=False):
        features, labels = inputs
        embedding = self.embedding.value
        if self.spectral_norm:
            embedding = spectrally_normalised(self.embedding, self.u, training)
        rows = ops.take(ops.cast(embedding, self.compute_dtype), ops.cast(labels, "int32"), axis=0)
        return ops.sum(rows * ops.cast(features, self.compute_dtype), axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "spectral_norm": self.spectral_norm}


def conditioned_input(z, num_classes, inputs=None, width=None):
    """A network's inputs and what its next layer reads: (inputs, z) for an unconditional one;
    ([inputs, labels], z beside a learned embedding of the label) for a conditional one
    (`num_classes` > 0).

    Args:
        z: a tensor [batch, n] of the functional network being built.
        num_classes: 0, or how many classes the labels [batch] (int32) take.
        inputs: the network's `keras.Input` whose features `z` are; default: `z` itself
            (a generator's noise input).
        width: the embedding's size; default: as wide as `z`.
    """
    name = "z_and_class" if inputs is None else "features_and_class"
    inputs = z if inputs is None else inputs
    if not num_classes:
        return inputs, z
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, width or z.shape[-1], name="class_embedding")(labels)
    return [inputs, labels], layers.Concatenate(name=name)([z, embedded])


def projected_output(images, features, logit, num_classes, spectral_norm, name):
    """A discriminator as a `keras.Model`: images → `logit`, or, where `num_classes` > 0, a
    projection discriminator [images, labels] → `logit` + `ClassProjection` of `features`."""
    if not num_classes:
        return keras.Model(images, logit, name=name)
    labels = keras.Input((), dtype="int32", name="labels")
    projection = ClassProjection(num_classes, spectral_norm, dtype="float32", name="projection")([features, labels])
    return keras.Model([images, labels], layers.Add(dtype="float32", name="projected_logit")([logit, projection]),
                       name=name)


def spectrally_normalised(kernel, u, training):
    """`kernel` (any shape; its last axis the outputs) divided by its largest singular value σ,
    estimated by one power iteration on `u` ([1, outputs], a variable that persists across
    steps and is updated when `training`). The gradient flows through σ (the paper's
    reparameterisation), with `u` and `v` held constant."""
    matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))  # float32 variable
    v = ops.stop_gradient(_unit(ops.matmul(u.value, ops.transpose(matrix))))
    projected = ops.matmul(v, matrix)  # one product serves u's update and σ = v·W·u
    new_u = ops.stop_gradient(_unit(projected))
    if training:
        u.assign(new_u)
    return kernel / ops.sum(projected * new_u)


def _unit(x):
    return x / (ops.sqrt(ops.sum(ops.square(x))) + 1e-12)


@keras.saving.register_keras_serializable(package="zoo")
class MaskedDense(layers.Layer):
    """A dense layer whose input i reaches output k only where the degrees allow it (MADE,
    Germain et al. 2015): `output_degrees[k] >= input_degrees[i]`, or `>` when `strict`. A
    row's value (pixel, then channel) then gets a logit that depends only on the values before it.

    >>> layer = MaskedDense(3, input_degrees=[1, 2, 3], output_degrees=[1, 2, 3], strict=True)
    >>> layer(np.eye(3, dtype="float32")).shape  # output 0 sees no input, output 2 sees inputs 0 and 1
    TensorShape([3, 3])

    Args:
        units: outputs.
        input_degrees, output_degrees: one positive integer per input and per output.
        strict: whether an output sees only inputs of a lower degree (not an equal one).
        use_bias: whether to add a bias.
    """

    def __init__(self, units, input_degrees, output_degrees, strict, use_bias=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.strict, self.use_bias = units, strict, use_bias
        self.input_degrees, self.output_degrees = [int(d) for d in input_degrees], [int(d) for d in output_degrees]
        if len(self.output_degrees) != units:
            raise ValueError(f"MaskedDense needs one output degree per unit ({units}), got {len(self.output_degrees)}.")
        inputs, outputs = np.array(self.input_degrees)[:, None], np.array(self.output_degrees)[None, :]
        self._connectivity = (outputs > inputs if strict else outputs >= inputs).astype("float32")

    def build(self, input_shape):
        if input_shape[-1] != len(self.input_degrees):
            raise ValueError(f"MaskedDense has {len(self.input_degrees)} input degrees; its input has "
                             f"{input_shape[-1]} features.")
        self.kernel = self.add_weight(shape=self._connectivity.shape, initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias") if self.use_bias else None

    def call(self, x):
        kernel = ops.cast(self.kernel, self.compute_dtype)
        y = ops.matmul(x, kernel * ops.convert_to_tensor(self._connectivity, self.compute_dtype))
        return y + self.bias if self.use_bias else y

    def get_config(self):
        return {**super().get_config(), "units": self.units, "input_degrees": self.input_degrees,
                "output_degrees": self.output_degrees, "strict": self.strict, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="zoo")
class ReadingLSTM(layers.Layer):
    """An LSTM that reads a sequence of a fixed number of steps (an image's rows) and returns its
    output at every step, forwards or (`reverse`) backwards, with its input and recurrent kernels
    each divided by its largest singular value when `spectral_norm` (Miyato et al. 2018 did
    this for convolutions; `dcgan` does). Unrolled over the steps: on a CPU that is faster than
    a loop for 28 steps, and twice differentiable (WGAN-GP's penalty).

    `cell="gru"` makes it a GRU (Cho et al. 2014, the reset gate applied after the recurrent
    product, as Keras' `GRU` does by default) and `cell="rnn"` a plain tanh RNN, with the same
    spectral normalisation: `zoo.models.cells`.

    >>> import numpy as np
    >>> [ReadingLSTM(4, cell=cell)(np.zeros((2, 3, 5), "float32")).shape for cell in ("lstm", "rnn")]
    [TensorShape([2, 3, 4]), TensorShape([2, 3, 4])]
    """

    GATES = {"lstm": 4, "gru": 3, "rnn": 1}  # blocks of `units` columns in each kernel

    def __init__(self, units, reverse=False, spectral_norm=True, cell="lstm", **kwargs):
        kwargs.setdefault("autocast", False)  # σ in float32 under mixed precision; cast below
        super().__init__(**kwargs)
        if cell not in self.GATES:
            raise ValueError(f"cell must be one of {tuple(self.GATES)}, got {cell!r}.")
        self.units, self.reverse, self.spectral_norm, self.cell = units, bool(reverse), bool(spectral_norm), cell

    def build(self, input_shape):
        units, width = self.units, self.GATES[self.cell] * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], width), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, width), initializer="orthogonal",
                                                name="recurrent_kernel")
        if self.cell == "lstm":  # forget gate biased to 1 (Jozefowicz et al. 2015), as Keras' LSTM does
            bias_start = lambda shape, dtype=None: ops.concatenate(  # noqa: E731
                [ops.zeros((units,)), ops.ones((units,)), ops.zeros((2 * units,))])
        else:
            bias_start = "zeros"
        self.bias = self.add_weight(shape=(width,), name="bias", initializer=bias_start)
        if self.spectral_norm:
            start = keras.initializers.RandomNormal(seed=0)
            self.u_kernel = self.add_weight(shape=(1, width), initializer=start, trainable=False, name="u_kernel")
            self.u_recurrent = self.add_weight(shape=(1, width), initializer=start, trainable=False,
                                               name="u_recurrent")

    def _step(self, from_input, h, c, recurrent):
        """One step: (the input's share of the gates, h, c) → (h, c); c is unused but by an LSTM."""
        from_state = ops.matmul(h, recurrent)
        if self.cell == "lstm":
            i, f, g, o = ops.split(from_input + from_state, 4, axis=-1)
            c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
            return ops.sigmoid(o) * ops.tanh(c), c
        if self.cell == "gru":
            x_z, x_r, x_n = ops.split(from_input, 3, axis=-1)
            h_z, h_r, h_n = ops.split(from_state, 3, axis=-1)
            update, reset = ops.sigmoid(x_z + h_z), ops.sigmoid(x_r + h_r)
            return update * h + (1 - update) * ops.tanh(x_n + reset * h_n), c
        return ops.tanh(from_input + from_state), c

    def call(self, inputs, training=False):
        kernel, recurrent = self.kernel.value, self.recurrent_kernel.value
        if self.spectral_norm:
            kernel = spectrally_normalised(self.kernel, self.u_kernel, training)
            recurrent = spectrally_normalised(self.recurrent_kernel, self.u_recurrent, training)
        dtype = self.compute_dtype
        kernel, recurrent = ops.cast(kernel, dtype), ops.cast(recurrent, dtype)
        inputs = ops.cast(inputs, dtype)
        gates_from_inputs = ops.matmul(inputs, kernel) + ops.cast(self.bias, dtype)  # every step at once
        h = c = ops.zeros((ops.shape(inputs)[0], self.units), dtype=dtype)
        steps = range(inputs.shape[1])
        outputs = {}
        for t in (reversed(steps) if self.reverse else steps):
            h, c = self._step(gates_from_inputs[:, t], h, c, recurrent)
            outputs[t] = h
        return ops.stack([outputs[t] for t in steps], axis=1)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "reverse": self.reverse,
                "spectral_norm": self.spectral_norm, "cell": self.cell}


@keras.saving.register_keras_serializable(package="zoo")
class MinibatchStd(layers.Layer):
    """[batch, features] → [batch, features + 1]: each example's features and the standard
    deviation of the features across its group of 4 consecutive examples, averaged (ProGAN's
    minibatch standard deviation, Karras et al. 2018). A generator that draws the same image for
    every z shows it here, so D can punish the collapse. Groups of 4 stay inside the real or the
    fake half of a batch whose halves are multiples of 4; other batches use groups of 2 or 1
    (one example: a deviation of 0)."""

    def call(self, x):
        batch = ops.shape(x)[0]
        group = ops.where(batch % 4 == 0, 4, ops.where(batch % 2 == 0, 2, 1))
        grouped = ops.reshape(x, (-1, group, x.shape[-1]))
        # + 1e-8: the square root's gradient at 0 (a collapsed group) would be infinite.
        spread = ops.mean(ops.sqrt(ops.var(grouped, axis=1) + 1e-8), axis=-1, keepdims=True)  # [batch / group, 1]
        spread = ops.reshape(ops.repeat(spread, group, axis=0), (-1, 1))
        return ops.concatenate([x, ops.cast(spread, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)
