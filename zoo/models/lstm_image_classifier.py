"""`lstm_image_classifier`: an image read row by row, top to bottom, as a sequence by LSTMs."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.models.base import ZooClassifier
from zoo.models.cells import CELLS, recurrent_layer
from zoo.models.replicas import ReplicaDropout
from zoo.config import at_least, check_fields, in_unit_interval, one_of, with_defaults
from zoo.errors import ConfigError
from zoo.registry import register_model


def row_lstm_network(rows, row_features, num_classes, units, num_layers, bidirectional, dropout, unroll=False,
                     cell="lstm"):
    """The row LSTM: [batch, rows, row_features] floats in [0, 1] → [batch, num_classes] logits.

    Stacked recurrent layers (each bidirectional when asked) read the rows; the last layer's
    final output, after dropout, goes to a dense layer of logits (named "logits").

    Args:
        rows: time steps: the image's height.
        row_features: features per step: width × channels.
        num_classes: number of classes.
        units: LSTM units per direction.
        num_layers: stacked LSTM layers.
        bidirectional: read the rows top-down and bottom-up.
        dropout: dropout rate on the final sequence summary, during training.
        unroll: run the LSTMs as one unrolled graph. Default: False.
        cell: the recurrent layers' kind, "lstm", "gru" or "rnn" (`zoo.models.cells`).

    Returns:
        keras.Model: rows [batch, rows, row_features] → logits [batch, num_classes], named
            "row_lstm".

    Examples:
        >>> network = row_lstm_network(28, 28, 10, units=8, num_layers=1, bidirectional=True,
        ...                            dropout=0.25)
        >>> network.input_shape, network.output_shape
        ((None, 28, 28), (None, 10))
    """
    sequences = keras.Input((rows, row_features), name="rows")
    logits = _read(sequences, num_classes, units, num_layers, bidirectional, dropout, unroll, cell)
    return keras.Model(sequences, logits, name="row_lstm")


def _read(x, num_classes, units, num_layers, bidirectional, dropout, unroll, cell):
    """Stacked recurrent layers over the steps of `x`, the last one's final output after dropout,
    and the logits: what the row reader and the column reader share."""
    for i in range(num_layers):
        recurrent = recurrent_layer(cell, units, return_sequences=i < num_layers - 1, unroll=unroll, name=f"{cell}_{i}")
        x = layers.Bidirectional(recurrent, name=f"bidirectional_{i}")(x) if bidirectional else recurrent(x)
    x = ReplicaDropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, name="logits")(x)


def column_lstm_network(image_shape, num_classes, units, num_layers, bidirectional, dropout, unroll=False,
                        cell="lstm", filters=(32, 64)):
    """The CNN → LSTM reader: images [batch, h, w, c] in [0, 1] → [batch, num_classes] logits.

    Each of `filters` is a 3×3 convolution (ReLU) and a 2×2 max pooling, so a 28×28 image
    becomes a 7×7 map of 64 features. Each column of the map (7 × 64 values, top to bottom) is
    one time step, read left to right by stacked recurrent layers, as CRNN reads a line of text
    (Shi et al. 2015); the last layer's final output, after dropout, gives the logits.

    Args:
        image_shape: (height, width, channels); height and width divisible by 2 ** len(filters).
        num_classes: number of classes.
        units: recurrent units per direction.
        num_layers: stacked recurrent layers.
        bidirectional: read the columns left to right and right to left.
        dropout: dropout rate on the final sequence summary, during training.
        unroll: run the recurrent layers as one unrolled graph. Default: False.
        cell: the recurrent layers' kind, "lstm", "gru" or "rnn" (`zoo.models.cells`).
        filters: filters of each convolution. Default: (32, 64).

    Returns:
        keras.Model: images [batch, h, w, c] → logits [batch, num_classes], named "column_lstm".

    Examples:
        >>> network = column_lstm_network((28, 28, 1), 10, units=8, num_layers=1, bidirectional=True,
        ...                               dropout=0.25)
        >>> network.input_shape, network.get_layer("columns").output.shape
        ((None, 28, 28, 1), (None, 7, 448))
    """
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for i, count in enumerate(filters):
        x = layers.Conv2D(count, 3, padding="same", activation="relu", name=f"conv_{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    height, width, features = x.shape[1:]
    x = layers.Permute((2, 1, 3), name="column_major")(x)  # [batch, width, height, features]
    x = layers.Reshape((width, height * features), name="columns")(x)
    logits = _read(x, num_classes, units, num_layers, bidirectional, dropout, unroll, cell)
    return keras.Model(images, logits, name="column_lstm")


FRONTENDS = ("rows", "conv")


@register_model(
    "lstm_image_classifier",
    task="image classification",
    dataset="mnist",
    recipe="recipes.lstm_image_classifier.recipe",
    metric="test_accuracy",
)
class LSTMImageClassifier(ZooClassifier):
    """LSTM that reads an image row by row as a sequence and classifies it.

    Each of the `height` rows is one time step of `width * channels` features; with
    `pixels_per_step` the image is read in raster order that many pixels a step instead
    (sequential MNIST: `pixels_per_step=1` is 784 steps, 4 is 196; Le et al. 2015). The model
    takes raw pixel values (0..255, `uint8` or any number type), [batch, height, width,
    channels] or, for one channel, [batch, height, width], and scales them itself.

    Args:
        image_shape: (height, width, channels) of the input images.
        num_classes: number of classes.
        units: LSTM units per direction.
        num_layers: stacked LSTM layers.
        bidirectional: read the rows top-down and bottom-up.
        dropout: dropout rate on the final sequence summary, during training.
        augment_shift: during training, shift each image by up to this many pixels in x and y
            (zero padding): cheap augmentation that stops the LSTM memorising exact pixel
            positions. 0 turns it off.
        class_names: optional names of the classes, returned by the exported signature.
        seed: seed of the augmentation's random draws (None: from Keras' global seed).
        **kwargs: passed to `keras.Model` (e.g. `name`).
        unroll: run the LSTMs as one unrolled graph over the rows instead of a while loop:
            the same maths, faster for 28 steps on CPU (benchmarks/run.py: 6–16 % more
            training examples/s on 2 cores). Unrolling hundreds of steps is slow to trace: leave
            it off for a small `pixels_per_step`.
        cell: the recurrent layers' kind: "lstm", "gru" or "rnn" (a plain tanh RNN;
            `zoo.models.cells`). Default: "lstm", as the shipped weights are.
        pixels_per_step: pixels read per time step, in raster order; it must divide
            height × width. 0 (default): a whole row per step.
        frontend: "rows" (default): the recurrent layers read the image's pixels, a row (or
            `pixels_per_step` pixels) per step. "conv": a small CNN first turns the image into
            a sequence of 7 feature columns (`column_lstm_network`; `cnn_lstm_image_classifier`
            is this model with it).

    Raises:
        zoo.ConfigError: if a field fails its check (`FIELD_CHECKS`: units and num_layers at
            least 1, dropout in [0, 1), augment_shift at least 0).
        zoo.ConfigError: (a ValueError) if `image_shape` is not (height, width, channels), or `class_names` does
            not have `num_classes` names.

    Attributes:
        FIELD_CHECKS: the checks of the constructor's fields (`zoo.config`).
        network: the row LSTM (`row_lstm_network`): rows in [0, 1] → logits.

    Examples:
        >>> import numpy as np
        >>> model = LSTMImageClassifier(units=32)
        >>> images = np.zeros((2, 28, 28, 1), "uint8")
        >>> model.predict(images, verbose=0).shape  # class probabilities
        (2, 10)
    """

    FIELD_CHECKS = dict(units=at_least(1), num_layers=at_least(1), dropout=in_unit_interval,
                        augment_shift=at_least(0), num_classes=at_least(2), cell=one_of(*CELLS),
                        pixels_per_step=at_least(0), frontend=one_of(*FRONTENDS))

    def __init__(
        self,
        image_shape=(28, 28, 1),
        num_classes=10,
        units=128,
        num_layers=1,
        bidirectional=True,
        dropout=0.25,
        augment_shift=0,
        class_names=None,
        seed=None,
        unroll=True,
        cell="lstm",
        pixels_per_step=0,
        frontend="rows",
        **kwargs,
    ):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.image_shape = self.image_shape_of(image_shape)
        self.num_classes = num_classes
        self.units = units
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.augment_shift = augment_shift
        self.class_names = list(class_names) if class_names is not None else None
        if self.class_names is not None and len(self.class_names) != num_classes:
            raise ValueError(
                f"class_names has {len(self.class_names)} names for num_classes={num_classes}."
            )
        self.seed = seed
        self.unroll = bool(unroll)
        self.cell = cell
        height, width, channels = self.image_shape
        self.pixels_per_step = int(pixels_per_step)
        self.frontend = frontend
        if frontend == "conv":
            if self.pixels_per_step:
                raise ConfigError(f"pixels_per_step={pixels_per_step} reads pixels, but frontend='conv' reads the "
                                  "columns of a CNN's feature map: set one of them.")
            if height % 4 or width % 4:
                raise ConfigError(f"frontend='conv' halves the image twice: its height and width must be divisible "
                                  f"by 4, got {height} × {width}.")
            self.network = column_lstm_network(self.image_shape, num_classes, units, num_layers, bidirectional,
                                               dropout, self.unroll, cell)
        else:
            if self.pixels_per_step and (height * width) % self.pixels_per_step:
                raise ConfigError(f"pixels_per_step={pixels_per_step} does not divide the {height} × {width} = "
                                  f"{height * width} pixels of an image: choose a divisor (e.g. 1, 4, {width}).")
            step_pixels = self.pixels_per_step or width
            self.network = row_lstm_network(height * width // step_pixels, step_pixels * channels, num_classes, units,
                                            num_layers, bidirectional, dropout, self.unroll, cell)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.build((None, *self.image_shape))

    def get_config(self):
        """The constructor's fields, for `from_config` and a `.keras` file.

        Returns:
            dict: `keras.Model`'s config plus every constructor field (`image_shape` as a
                list).
        """
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "num_classes": self.num_classes,
            "units": self.units,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "augment_shift": self.augment_shift,
            "class_names": self.class_names,
            "seed": self.seed,
            "unroll": self.unroll,
            "cell": self.cell,
            "pixels_per_step": self.pixels_per_step,
            "frontend": self.frontend,
        }

    def features_and_logits(self, images, batch_size=500):
        """The penultimate features and the logits of `images`.

        The features are the embedding `zoo.metrics` measures generated images with.

        Args:
            images: raw pixels (0..255) [n, height, width, channels] (or [n, height, width]
                for one channel).
            batch_size: images per forward pass. Default: 500.

        Returns:
            tuple: (features [n, units × directions], logits [n, num_classes]), float32 NumPy
                arrays.

        Raises:
            ValueError: if `images` are not of the model's image shape.

        Examples:
            >>> import numpy as np
            >>> model = LSTMImageClassifier(image_shape=(8, 8, 1), units=8)
            >>> features, logits = model.features_and_logits(np.zeros((3, 8, 8, 1), "uint8"))
            >>> features.shape, logits.shape  # 8 units in each of 2 directions
            ((3, 16), (3, 10))
        """
        head = self.network.get_layer("logits")
        # Built per call and never stored, so the saved weights keep their layout.
        extractor = keras.Model(self.network.inputs, [head.input, head.output])
        return extractor.predict(self._rows(images), batch_size=batch_size, verbose=0)

    def logits(self, images, training=False):
        """Raw images → class logits.

        Args:
            images: raw pixels (0..255, any number type) [batch, height, width, channels],
                or [batch, height, width] for one channel.
            training: whether to run in training mode (dropout). Default: False.

        Returns:
            tf.Tensor: float32 logits [batch, num_classes].

        Raises:
            ValueError: if `images` are not of the model's image shape.

        Examples:
            >>> import numpy as np
            >>> model = LSTMImageClassifier(units=8)
            >>> model.logits(np.zeros((2, 28, 28), "uint8")).shape
            TensorShape([2, 10])
        """
        return self.network(self._rows(images), training=training)

    def _rows(self, images):
        height, width, channels = self.image_shape
        images = self.expect_images(images, (None, height, width, channels), "images")
        x = ops.cast(images, "float32") / 255.0
        if self.frontend == "conv":
            return ops.reshape(x, (-1, height, width, channels))
        steps, features = self.network.input_shape[1:]
        return ops.reshape(x, (-1, steps, features))

    def _shifted(self, images):
        """Each image moved by its own random (dy, dx) in [-shift, shift], edges zero-filled."""
        shift = self.augment_shift
        height, width, channels = self.image_shape
        images = ops.reshape(images, (-1, height, width, channels))
        padded = ops.pad(images, [(0, 0), (shift, shift), (shift, shift), (0, 0)])
        batch = ops.shape(images)[0]
        offsets = self.replica_rows(
            lambda n: keras.random.randint((n, 2), 0, 2 * shift + 1, dtype="int32", seed=self.seed_generator), batch)
        rows = offsets[:, :1] + ops.arange(height, dtype="int32")[None, :]
        cols = offsets[:, 1:] + ops.arange(width, dtype="int32")[None, :]
        padded = ops.take_along_axis(padded, rows[:, :, None, None], axis=1)
        return ops.take_along_axis(padded, cols[:, None, :, None], axis=2)

    def augment(self, images):
        """Training images, each shifted by its own random offset when `augment_shift` is set.

        Each image moves by up to `augment_shift` pixels in x and y, its edges zero-filled;
        with `augment_shift=0` the images are returned as they are.

        Args:
            images: a batch of raw training images [batch, height, width, channels].

        Returns:
            The shifted images, of the same shape and dtype (or `images` itself).

        Examples:
            >>> import numpy as np
            >>> model = LSTMImageClassifier(units=8, augment_shift=2, seed=0)
            >>> images = np.zeros((2, 28, 28, 1), "uint8")
            >>> images[:, 10:18, 10:18] = 255
            >>> shifted = model.augment(images)
            >>> shifted.shape, int(np.sum(shifted)) == int(images.sum())  # moved, not cut
            (TensorShape([2, 28, 28, 1]), True)
        """
        return self._shifted(images) if self.augment_shift else images

    def serving_signatures(self):
        """The endpoint `zoo.export` writes: `serving_default`.

        It takes `images`, uint8 [batch, height, width, channels], and returns
        `probabilities` (float32 [batch, num_classes]), `class_id` (int32 [batch]) and, when
        the model has `class_names`, `class_name` (string [batch]).

        Returns:
            dict: {"serving_default": (function, [tf.TensorSpec])}.

        Examples:
            >>> import tensorflow as tf
            >>> model = LSTMImageClassifier(units=8)
            >>> classify, specs = model.serving_signatures()["serving_default"]
            >>> specs[0].name, specs[0].shape
            ('images', TensorShape([None, 28, 28, 1]))
            >>> sorted(classify(tf.zeros((2, 28, 28, 1), tf.uint8)))
            ['class_id', 'probabilities']
        """
        spec = tf.TensorSpec((None, *self.image_shape), tf.uint8, name="images")

        def classify(images):
            return self.classification_outputs(self(self.checked(images, spec), training=False))

        return {"serving_default": (classify, [spec])}


@register_model(
    "cnn_lstm_image_classifier",
    task="image classification",
    dataset="mnist",
    recipe="recipes.cnn_lstm_image_classifier.recipe",
    metric="test_accuracy",
)
@with_defaults(frontend="conv")
class CNNLSTMImageClassifier(LSTMImageClassifier):
    """CNN → LSTM classifier: a small CNN turns the image into a sequence of feature columns that an LSTM reads.

    The articles' CNN-LSTM for a single image: `lstm_image_classifier` with `frontend="conv"`
    (`column_lstm_network`): two 3×3 convolutions, each with 2×2 max pooling, make a 28×28
    image a 7×7 map of 64 features, and the LSTM reads its 7 columns left to right (both ways,
    as the row reader reads its rows). A registered variant rather than a flag alone, so that
    its shipped weights have their own name, card and page beside the row reader's.

    Examples:
        >>> import numpy as np
        >>> model = CNNLSTMImageClassifier(units=8)
        >>> model.frontend, model.predict(np.zeros((2, 28, 28, 1), "uint8"), verbose=0).shape
        ('conv', (2, 10))
    """
