"""`cnn_lstm_video`: a per-frame CNN (TimeDistributed) feeding an LSTM, classifying video clips."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.models.base import ZooClassifier
from zoo.models.replicas import ReplicaDropout, batch_norm
from zoo.config import at_least, check_fields, in_unit_interval, positive_integers
from zoo.registry import register_model


def frame_encoder_network(frame_shape, conv_filters, frame_features):
    """One frame [height, width, channels] in [0, 1] → [frame_features]. Strided 3×3 convolutions
    halve the frame per layer. The last map is flattened, because where a thing is in the frame
    is what the LSTM compares across time, and also max-pooled over the frame: what is there,
    the same wherever it is."""
    frame = keras.Input(frame_shape, name="frame")
    x = frame
    for i, filters in enumerate(conv_filters):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False, name=f"conv_{i}")(x)
        x = batch_norm(name=f"norm_{i}")(x)
        x = layers.ReLU(name=f"relu_{i}")(x)
    what = layers.GlobalMaxPooling2D(name="what")(x)
    where = layers.Flatten(name="where")(x)
    x = layers.Concatenate(name="what_and_where")([what, where])
    features = layers.Dense(frame_features, activation="relu", name="features")(x)
    return keras.Model(frame, features, name="frame_encoder")


@keras.saving.register_keras_serializable(package="zoo")
class FrameDistributed(layers.TimeDistributed):
    """`TimeDistributed` that folds time into the batch: one call of the wrapped layer on all
    `batch × frames` frames, then back to [batch, frames, ...]. Keras' own version loops over
    a static time axis and `vectorized_map`s a dynamic one, which fails in an exported
    SavedModel served a frame count it was not traced with; a reshape works for any count
    (and batch norm sees every frame of the batch at once)."""

    def call(self, inputs, training=None, mask=None):
        shape = ops.shape(inputs)
        outputs = self.layer(ops.reshape(inputs, (-1, *inputs.shape[2:])), training=training)
        return ops.reshape(outputs, (shape[0], shape[1], *outputs.shape[1:]))


def clip_network(frame_shape, num_classes, conv_filters, frame_features, units, num_layers, dropout):
    """(frames [batch, time, *frame_shape] in [0, 1], mask [batch, time] bool) → logits. Any
    number of frames; masked frames (padding) are skipped by the LSTM."""
    frames = keras.Input((None, *frame_shape), name="frames")
    mask = keras.Input((None,), dtype="bool", name="mask")
    x = FrameDistributed(frame_encoder_network(frame_shape, conv_filters, frame_features), name="per_frame")(frames)
    for i in range(num_layers):
        x = layers.LSTM(units, return_sequences=i < num_layers - 1, name=f"lstm_{i}")(x, mask=mask)
    x = ReplicaDropout(dropout, name="dropout")(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model([frames, mask], logits, name="cnn_lstm")


@register_model(
    "cnn_lstm_video",
    task="video classification",
    dataset="moving_mnist_motion",
    recipe="recipes.cnn_lstm_video.recipe",
    metric="test_accuracy",
)
class CNNLSTMVideo(ZooClassifier):
    """Per-frame CNN (TimeDistributed) feeding an LSTM over time, classifying video clips.

    Takes raw frames (0..255, `uint8` or any number type) of shape [batch, frames, height,
    width, channels] and scales them itself. The number of frames is free: any clip length
    works, and clips of different lengths share a batch when padded at the end and given
    their `lengths`.

    Example:

    >>> import numpy as np
    >>> model = CNNLSTMVideo(frame_shape=(64, 64, 1), num_classes=40)
    >>> clips = np.zeros((2, 7, 64, 64, 1), "uint8")        # 2 clips of 7 frames
    >>> model.predict(clips, verbose=0).shape                # class probabilities
    (2, 40)
    >>> model(clips[:, :5], lengths=[5, 3]).shape            # the second clip has 3 frames
    TensorShape([2, 40])

    Args:
        frame_shape: (height, width, channels) of a frame.
        num_classes: number of classes.
        conv_filters: filters of each strided 3×3 convolution of the frame encoder (its depth
            is the length of this list).
        frame_features: size of each frame's feature vector, the LSTM's input.
        units: LSTM units.
        num_layers: stacked LSTM layers.
        dropout: dropout rate on the clip summary, during training.
        class_names: optional names of the classes, returned by the exported signature.
        seed: seed of the model's random draws (None: from Keras' global seed).
    """

    FIELD_CHECKS = dict(conv_filters=positive_integers, frame_features=at_least(1), units=at_least(1),
                        num_layers=at_least(1), dropout=in_unit_interval)

    def __init__(
        self,
        frame_shape=(64, 64, 1),
        num_classes=40,
        conv_filters=(16, 32, 64, 64),
        frame_features=128,
        units=128,
        num_layers=1,
        dropout=0.25,
        class_names=None,
        seed=None,
        **kwargs,
    ):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.frame_shape = self.image_shape_of(frame_shape, divisible_by=2 ** len(conv_filters))
        self.num_classes = num_classes
        self.conv_filters = [int(f) for f in conv_filters]
        self.frame_features = frame_features
        self.units = units
        self.num_layers = num_layers
        self.dropout = dropout
        self.class_names = list(class_names) if class_names is not None else None
        if self.class_names is not None and len(self.class_names) != num_classes:
            raise ValueError(f"class_names has {len(self.class_names)} names for num_classes={num_classes}.")
        self.seed = seed
        self.network = clip_network(self.frame_shape, num_classes, self.conv_filters, frame_features,
                                    units, num_layers, dropout)
        self._create_metrics()
        self.build((None, None, *self.frame_shape))

    def build(self, input_shape):
        pass  # the functional sub-network is built at construction

    def get_config(self):
        return {
            **super().get_config(),
            "frame_shape": list(self.frame_shape),
            "num_classes": self.num_classes,
            "conv_filters": list(self.conv_filters),
            "frame_features": self.frame_features,
            "units": self.units,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "class_names": self.class_names,
            "seed": self.seed,
        }

    def call(self, videos, lengths=None, training=False):
        """Raw frames [batch, frames, height, width, channels] (optionally `lengths` [batch]:
        the real frames of each clip, the rest padding) → class probabilities [batch, classes]."""
        return ops.softmax(self.logits(videos, training=training, lengths=lengths))

    def logits(self, videos, training=False, lengths=None):
        self.expect_shape(videos, (None, None, *self.frame_shape), "videos")
        frames = ops.cast(videos, "float32") / 255.0
        time = ops.shape(frames)[1]
        if lengths is None:
            mask = ops.ones(ops.shape(frames)[:2], dtype="bool")
        else:
            mask = ops.arange(time)[None, :] < ops.cast(ops.reshape(lengths, (-1, 1)), "int32")
        return self.network([frames, mask], training=training)

    def serving_signatures(self):
        spec = tf.TensorSpec((None, None, *self.frame_shape), tf.uint8, name="video")

        def classify(video):
            return self.classification_outputs(self(self.checked(video, spec), training=False))

        return {"serving_default": (classify, [spec])}
