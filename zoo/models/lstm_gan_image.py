"""`lstm_gan_image`: a GAN whose generator and discriminator are both LSTMs, drawing an image one
row per step."""

import keras
from keras import layers, ops

from zoo.config import at_least, below, check_fields, in_unit_interval, one_of, with_defaults
from zoo.models.cells import CELLS, recurrent_cell, states_per_layer
from zoo.models.image_gan import LOSSES, ImageGAN
from zoo.models.layers import MinibatchStd, ReadingLSTM, SpectralConv2D, conditioned_input, projected_output
from zoo.registry import register_model


@keras.saving.register_keras_serializable(package="zoo")
class RowGeneratorCell(layers.Layer):
    """One step of the generator: draws the next row of the image.

    The noise z and the row drawn at the previous step go into stacked LSTM cells, whose top
    output is drawn as the next row (tanh, in [-1, 1]). The row is fed back as the next step's
    input, so each row is drawn knowing the rows above it. A `keras.layers.RNN` runs it.

    Args:
        units: units of each LSTM cell.
        num_layers: stacked LSTM cells.
        row_size: values per row (width × channels).
        feed_back: feed the previous row in beside the step's input. Default: True.
        cell: the recurrent cells' kind: "lstm" (default), "gru" or "rnn" (`zoo.models.cells`).
        **kwargs: passed on to `keras.layers.Layer` (name, dtype).

    Attributes:
        state_size: the state: (h, c) of each LSTM layer (h alone of a GRU's or an RNN's), then
            the previous row.
        output_size: `row_size`.

    Examples:
        >>> import tensorflow as tf
        >>> cell = RowGeneratorCell(units=16, num_layers=1, row_size=28)
        >>> cell.state_size
        [16, 16, 28]
        >>> h, c, previous_row = tf.zeros((3, 16)), tf.zeros((3, 16)), tf.zeros((3, 28))
        >>> row, states = cell(tf.zeros((3, 8)), [h, c, previous_row])
        >>> row.shape, len(states)
        (TensorShape([3, 28]), 3)
    """

    def __init__(self, units, num_layers, row_size, feed_back=True, cell="lstm", **kwargs):
        super().__init__(**kwargs)
        self.units, self.num_layers, self.row_size, self.feed_back = units, num_layers, row_size, feed_back
        self.cell, self.per_layer = cell, states_per_layer(cell)
        self.cells = [recurrent_cell(cell, units, name=f"{cell}_{i}") for i in range(num_layers)]
        # float32 under mixed precision: bfloat16 would leave ~2 of every 255 grey levels.
        self.to_row = layers.Dense(row_size, activation="tanh", dtype="float32", name="row")
        self.state_size = [units] * (self.per_layer * num_layers) + [row_size]
        self.output_size = row_size

    def build(self, input_shape):
        """Builds the LSTM cells and the row readout for inputs of `input_shape`.

        Args:
            input_shape: the step input's shape, [batch, features].
        """
        size = input_shape[-1] + (self.row_size if self.feed_back else 0)
        for cell in self.cells:
            cell.build((None, size))
            size = self.units
        self.to_row.build((None, self.units))

    def call(self, inputs, states, training=False):
        """One step: the next row and the new state.

        Args:
            inputs: the step's input [batch, features] (z beside the row's position).
            states: (h, c) of each LSTM layer, then the previous row [batch, row_size].
            training: passed on to the LSTM cells. Default: False.

        Returns:
            tuple: (row [batch, row_size] in [-1, 1], float32; the new states, the row last).
        """
        x = inputs
        if self.feed_back:
            x = ops.concatenate([inputs, ops.cast(states[-1], inputs.dtype)], axis=-1)
        new_states, k = [], self.per_layer
        for i, cell in enumerate(self.cells):
            x, layer_states = cell(x, list(states[k * i:k * (i + 1)]), training=training)
            new_states += list(layer_states)
        row = self.to_row(x)
        return row, new_states + [row]

    def get_config(self):
        """The layer's constructor arguments, for `from_config`.

        Returns:
            dict: Keras' layer config plus units, num_layers, row_size and feed_back.
        """
        return {**super().get_config(), "units": self.units, "num_layers": self.num_layers, "row_size": self.row_size,
                "feed_back": self.feed_back, "cell": self.cell}


@keras.saving.register_keras_serializable(package="zoo")
class InitialStates(layers.Layer):
    """z → the generator's initial state.

    (h, c) of each LSTM layer come from one dense layer of z (h through tanh, as an LSTM's own
    h is), and the previous row is blank (0: mid-grey is −1 … 1's 0; the first row is drawn
    from z alone).

    Args:
        units: units of each LSTM layer.
        num_layers: stacked LSTM layers.
        row_size: values per row (width × channels).
        cell: the recurrent cells' kind: "lstm" (default; h and c), "gru" or "rnn" (h alone).
        **kwargs: passed on to `keras.layers.Layer` (name, dtype).

    Examples:
        >>> import tensorflow as tf
        >>> states = InitialStates(units=16, num_layers=1, row_size=28)(tf.zeros((3, 8)))
        >>> [tuple(state.shape) for state in states]
        [(3, 16), (3, 16), (3, 28)]
    """

    def __init__(self, units, num_layers, row_size, cell="lstm", **kwargs):
        super().__init__(**kwargs)
        self.units, self.num_layers, self.row_size = units, num_layers, row_size
        self.cell, self.per_layer = cell, states_per_layer(cell)
        self.dense = layers.Dense(self.per_layer * units * num_layers, name="dense")

    def build(self, input_shape):
        """Builds the dense layer for z of `input_shape`.

        Args:
            input_shape: z's shape, [batch, latent_dim].
        """
        self.dense.build(input_shape)

    def call(self, z):
        """z → the initial states.

        Args:
            z: latent vectors [batch, latent_dim].

        Returns:
            list: h and c [batch, units] of each LSTM layer, then a row of zeros
                [batch, row_size].
        """
        x = self.dense(z)
        states, k, units = [], self.per_layer, self.units
        for i in range(self.num_layers):
            h = x[:, k * i * units:(k * i + 1) * units]
            states.append(ops.tanh(h))
            if k == 2:  # an LSTM's c
                states.append(x[:, (k * i + 1) * units:(k * i + 2) * units])
        return states + [ops.zeros((ops.shape(z)[0], self.row_size), dtype=x.dtype)]

    def get_config(self):
        """The layer's constructor arguments, for `from_config`.

        Returns:
            dict: Keras' layer config plus units, num_layers and row_size.
        """
        return {**super().get_config(), "units": self.units, "num_layers": self.num_layers, "row_size": self.row_size,
                "cell": self.cell}


@keras.saving.register_keras_serializable(package="zoo")
class WithRowPositions(layers.Layer):
    """[batch, rows, features] → [batch, rows, features + rows]: each step's input beside its row.

    The row's index is appended one-hot. Without it every step gets the same input (z), and
    the LSTM drew nearly the same row again and again (vertical streaks).

    Examples:
        >>> import tensorflow as tf
        >>> steps = WithRowPositions()(tf.zeros((2, 4, 3)))
        >>> steps.shape
        TensorShape([2, 4, 7])
        >>> steps[0, :, 3:].numpy().argmax(axis=-1).tolist()
        [0, 1, 2, 3]
    """

    def call(self, x):
        """Appends the one-hot row index to each step.

        Args:
            x: steps [batch, rows, features]; the number of rows must be static.

        Returns:
            tf.Tensor: [batch, rows, features + rows].
        """
        rows = x.shape[1]
        positions = ops.broadcast_to(ops.eye(rows, dtype=x.dtype)[None], (ops.shape(x)[0], rows, rows))
        return ops.concatenate([x, positions], axis=-1)

    def compute_output_shape(self, input_shape):
        """The output's shape for inputs of `input_shape`.

        Args:
            input_shape: (batch, rows, features).

        Returns:
            tuple: (batch, rows, features + rows).
        """
        return (*input_shape[:-1], input_shape[-1] + input_shape[1])


def lstm_generator(latent_dim, image_shape, units, num_layers, feed_back=True, name="generator", num_classes=0,
                   cell="lstm"):
    """The LSTM generator: z [batch, latent] → images [batch, h, w, c] in [-1, 1].

    One row of w × c values per LSTM step (`RowGeneratorCell`, unrolled): z sets the initial
    state (`InitialStates`) and is the input of every step, beside the row's index
    (`WithRowPositions`) and the previous row.

    Args:
        latent_dim: size of the noise vector z.
        image_shape: (height, width, channels) of the images.
        units: units of each LSTM layer.
        num_layers: stacked LSTM layers.
        feed_back: feed each drawn row back as the next step's input. Default: True.
        name: the Keras model's name. Default: "generator".
        num_classes: 0 (the default): z alone. More: the network takes [z, labels], and z
            beside a learned embedding of the label sets the state and feeds every step.
        cell: the recurrent cells' kind: "lstm" (default), "gru" or "rnn" (`zoo.models.cells`).

    Returns:
        keras.Model: z [batch, latent_dim] (and labels [batch], int) → images [batch, h, w,
            c], float32 in [-1, 1].

    Examples:
        >>> generator = lstm_generator(8, (28, 28, 1), units=16, num_layers=1)
        >>> generator.input_shape, generator.output_shape
        ((None, 8), (None, 28, 28, 1))
    """
    height, width, channels = image_shape
    inputs, z = conditioned_input(keras.Input((latent_dim,), name="z"), num_classes)
    states = InitialStates(units, num_layers, width * channels, cell=cell, name="initial_states")(z)
    steps = WithRowPositions(name="row_positions")(layers.RepeatVector(height, name="z_every_step")(z))
    rows = layers.RNN(RowGeneratorCell(units, num_layers, width * channels, feed_back, cell=cell, name="cell"),
                      return_sequences=True,
                      unroll=True, name="rows")(steps, initial_state=states)
    images = layers.Reshape(image_shape, name="images")(rows)
    return keras.Model(inputs, images, name=name)


def lstm_discriminator(image_shape, units, num_layers, bidirectional, spectral_norm, minibatch_std=True,
                       read_columns=False, name="discriminator", num_classes=0, cell="lstm"):
    """The LSTM discriminator: images [batch, h, w, c] in [-1, 1] → one real/fake logit.

    LSTM layers read the image row by row (both ways when `bidirectional`) and, with
    `read_columns`, other LSTM layers read it column by column (a row reader sees a vertical
    stroke only through its memory); the logit is a dense readout of the top layers' outputs
    at every row (and column), so D judges each row in the context of the rows it has read.
    No batch norm: WGAN-GP's penalty is per sample.

    Args:
        image_shape: (height, width, channels) of the images.
        units: units of each LSTM layer (per direction).
        num_layers: stacked LSTM layers (per reading direction).
        bidirectional: read the rows (and columns) both ways.
        spectral_norm: divide every kernel (the LSTMs' and the readout's) by its largest
            singular value.
        minibatch_std: give the readout the spread of its features across each group of 4
            examples (`MinibatchStd`, ProGAN). Default: True.
        read_columns: also read the image column by column. Default: False.
        name: the Keras model's name. Default: "discriminator".
        num_classes: 0 (the default): images alone. More: the network takes [images, labels]
            and is a projection discriminator (`ClassProjection` of the rows' features).
        cell: the readers' kind: "lstm" (default), "gru" or "rnn" (`ReadingLSTM`).

    Returns:
        keras.Model: images [batch, h, w, c] (and labels [batch], int) → logits [batch, 1],
            float32.

    Examples:
        >>> discriminator = lstm_discriminator((28, 28, 1), units=8, num_layers=1,
        ...                                    bidirectional=True, spectral_norm=True)
        >>> discriminator.input_shape, discriminator.output_shape
        ((None, 28, 28, 1), (None, 1))
    """
    height, width, channels = image_shape
    images = keras.Input(image_shape, name="images")
    sequences = {"rows": layers.Reshape((height, width * channels), name="rows")(images)}
    if read_columns:
        columns = layers.Permute((2, 1, 3), name="transpose")(images)
        sequences["columns"] = layers.Reshape((width, height * channels), name="columns")(columns)
    read = []
    for along, x in sequences.items():
        prefix = cell if along == "rows" else f"column_{cell}"  # an LSTM's row readers keep their names
        for i in range(num_layers):
            forwards = ReadingLSTM(units, spectral_norm=spectral_norm, cell=cell, name=f"{prefix}_{i}")(x)
            if bidirectional:
                backwards = ReadingLSTM(units, reverse=True, spectral_norm=spectral_norm, cell=cell,
                                        name=f"{prefix}_{i}_reverse")(x)
                forwards = layers.Concatenate(name=f"{along}_both_ways_{i}" if read_columns else f"both_ways_{i}")(
                    [forwards, backwards])
            x = forwards
        read.append(layers.Flatten(name=f"every_{along[:-1]}" if read_columns else "every_row")(x))
    x = features = layers.Concatenate(name="rows_and_columns")(read) if read_columns else read[0]
    if minibatch_std:
        x = MinibatchStd(name="minibatch_std")(x)
    dense = SpectralConv2D if spectral_norm else layers.Dense  # dense on [batch, features]; see SpectralConv2D
    logit = dense(1, dtype="float32", name="logit")(x)  # float32 under mixed precision
    return projected_output(images, features, logit, num_classes, spectral_norm, name)


@register_model(
    "lstm_gan_image",
    task="image generation (GAN)",
    dataset="mnist",
    recipe="recipes.lstm_gan_image.recipe",
    metric="classifier_score_ratio",
)
class LSTMGANImage(ImageGAN):
    """GAN of two LSTMs, no convolution: the generator draws an image one row per step.

    The discriminator reads the image row by row.

    `generate(z)` gives uint8 images, `sample(n)` too from z it draws itself (`output="float"`:
    the pixels in [0, 1], which `call(z)` returns). Each `train_step` updates the
    discriminator, then the generator, with their own optimizers; images are drawn
    from an exponential moving average of the generator's weights (`ema_generator`), as in
    `dcgan`.

    The settings every image GAN has (latent_dim, loss, label_smoothing, gradient_penalty,
    r1_penalty, r1_interval, ema_decay, seed) are documented on `ImageGAN`; the defaults are
    in the signature.

    Args:
        image_shape: (height, width, channels) of the images: one row of width × channels values
            per generator step.
        units: units of each of the generator's LSTM layers.
        num_layers: the generator's stacked LSTM layers.
        feed_back: feed each drawn row back as the next step's input (else rows depend on the
            rows above only through the LSTM's state).
        d_units: units of each of the discriminator's LSTM layers (per direction).
        d_layers: the discriminator's stacked LSTM layers.
        bidirectional: the discriminator reads the rows (and columns) both ways.
        read_columns: the discriminator also reads the image column by column, with LSTMs of its
            own, beside the rows.
        minibatch_std: give the discriminator's readout the spread of its features across each
            group of 4 examples (ProGAN), against a generator that ignores its noise.
        spectral_norm: divide each of the discriminator's kernels by its largest singular value.
        cell: the recurrent layers' kind, in the generator and the discriminator: "lstm"
            (default, as the shipped weights are), "gru" or "rnn" (a plain tanh RNN;
            `zoo.models.cells`).

    Raises:
        zoo.ConfigError: if a field fails its check (`FIELD_CHECKS`: sizes at least 1,
            label_smoothing in [0, 0.5), ema_decay in [0, 1), a known loss).
        zoo.ConfigError: (a ValueError) if `image_shape` is not (height, width, channels).

    Attributes:
        FIELD_CHECKS: the checks of the constructor's fields (`zoo.config`).

    Examples:
        >>> gan = LSTMGANImage(latent_dim=8, units=16, d_units=8)
        >>> gan.sample(3).shape, gan.sample(3, output="float").dtype
        (TensorShape([3, 28, 28, 1]), tf.float32)
    """

    FIELD_CHECKS = dict(latent_dim=at_least(1), units=at_least(1), num_layers=at_least(1), d_units=at_least(1),
                        d_layers=at_least(1), loss=one_of(*LOSSES), label_smoothing=below(0.5),
                        gradient_penalty=at_least(0), r1_penalty=at_least(0), r1_interval=at_least(1),
                        ema_decay=in_unit_interval, num_classes=at_least(0), cell=one_of(*CELLS))

    def __init__(self, image_shape=(28, 28, 1), latent_dim=64, units=256, num_layers=1, feed_back=True, d_units=128,
                 d_layers=1, bidirectional=True, read_columns=False, minibatch_std=True, r1_penalty=0.0, r1_interval=1,
                 loss="non_saturating", label_smoothing=0.0, gradient_penalty=10.0, ema_decay=0.999, spectral_norm=True,
                 seed=None, num_classes=0, cell="lstm", **kwargs):
        check_fields(type(self), locals())
        super().__init__(image_shape, latent_dim, loss, label_smoothing, gradient_penalty, r1_penalty, r1_interval,
                         ema_decay, seed, num_classes=num_classes, **kwargs)
        self.units, self.num_layers, self.feed_back = units, num_layers, bool(feed_back)
        self.minibatch_std = bool(minibatch_std)
        self.d_units, self.d_layers, self.bidirectional = d_units, d_layers, bool(bidirectional)
        self.read_columns = bool(read_columns)
        self.spectral_norm = bool(spectral_norm)
        self.cell = cell
        self._build_gan(lambda name: lstm_generator(latent_dim, self.image_shape, units, num_layers, self.feed_back,
                                                    name=name, num_classes=self.num_classes, cell=cell),
                        lambda: lstm_discriminator(self.image_shape, d_units, d_layers, self.bidirectional,
                                                   self.spectral_norm, self.minibatch_std, self.read_columns,
                                                   num_classes=self.num_classes, cell=cell))

    def get_config(self):
        """The constructor's fields, for `from_config` and a `.keras` file.

        Returns:
            dict: `keras.Model`'s config plus every constructor field (`image_shape` as a
                list).
        """
        return {**super().get_config(), **self.gan_config(), "units": self.units, "num_layers": self.num_layers,
                "feed_back": self.feed_back, "minibatch_std": self.minibatch_std,
                "d_units": self.d_units, "d_layers": self.d_layers, "bidirectional": self.bidirectional,
                "read_columns": self.read_columns,
                "spectral_norm": self.spectral_norm, "seed": self.seed, "cell": self.cell}


@register_model(
    "lstm_gan_image_conditional",
    task="image generation (class-conditional GAN)",
    dataset="mnist",
    recipe="recipes.lstm_gan_image_conditional.recipe",
    metric="conditional_accuracy_conv",
)
@with_defaults(num_classes=10)
class ConditionalLSTMGANImage(LSTMGANImage):
    """`lstm_gan_image` conditioned on the class: draws the digit it is asked for.

    The same LSTMs and training as `LSTMGANImage` with `num_classes=10`: a learned embedding
    of the label joins z at the generator's input (so it reaches every row through the LSTM's
    input), and the discriminator is a projection discriminator (Miyato & Koyama 2018) on its
    final LSTM features. A registered variant, like `dcgan_conditional`.

    Examples:
        >>> gan = ConditionalLSTMGANImage(latent_dim=8, units=16, d_units=8)
        >>> gan.num_classes, gan.sample(2, labels=[3, 9]).shape
        (10, TensorShape([2, 28, 28, 1]))
    """
