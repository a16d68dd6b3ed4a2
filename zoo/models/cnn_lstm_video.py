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
    """frames [batch, time, *frame_shape] in [0, 1] → logits after every frame [batch, time,
    classes]: step t's logits classify the clip of frames 0 … t. The LSTM reads forward only,
    so step t never sees a later frame, and any number of frames works; a clip padded at the
    end is read at its last real frame."""
    frames = keras.Input((None, *frame_shape), name="frames")
    x = FrameDistributed(frame_encoder_network(frame_shape, conv_filters, frame_features), name="per_frame")(frames)
    for i in range(num_layers):
        x = layers.LSTM(units, return_sequences=True, name=f"lstm_{i}")(x)
    x = ReplicaDropout(dropout, name="dropout")(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(frames, logits, name="cnn_lstm")


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
    width, channels] (for one channel also [batch, frames, height, width]) and scales them
    itself. The number of frames is free: the LSTM gives an answer after every frame
    (`step_logits`), and the clip's answer is the one after its last frame, so clips of
    different lengths share a batch when padded at the end and given their `lengths`. Training
    puts the loss on the answer after every frame, so every clip length is trained at once.

    A clip shorter than `min_frames` (one frame, where the label needs motion) still gets an
    answer, the model's best from what it shows (for moving_mnist_motion: the digit, with its
    probability spread over the motions); the exported signature flags it with
    `enough_frames = False`.

    Example:

    >>> import numpy as np
    >>> model = CNNLSTMVideo(frame_shape=(64, 64, 1), num_classes=40)
    >>> clips = np.zeros((2, 7, 64, 64, 1), "uint8")        # 2 clips of 7 frames
    >>> model.predict(clips, verbose=0).shape                # class probabilities
    (2, 40)
    >>> model(clips[:, :5], lengths=[5, 3]).shape            # the second clip has 3 frames
    TensorShape([2, 40])
    >>> model.step_logits(clips).shape                       # the answer after each frame
    TensorShape([2, 7, 40])

    Args:
        frame_shape: (height, width, channels) of a frame.
        num_classes: number of classes.
        conv_filters: filters of each strided 3×3 convolution of the frame encoder (its depth
            is the length of this list).
        frame_features: size of each frame's feature vector, the LSTM's input.
        units: LSTM units.
        num_layers: stacked LSTM layers.
        dropout: dropout rate on the LSTM's output, during training.
        min_frames: fewest frames that can show what the label needs (2 for motion); shorter
            clips are answered and flagged (`enough_frames` in the exported signature).
        frame_differences: the frame encoder sees each frame beside its difference from the
            frame before (zero for the first): motion as an input, as two-stream networks give
            optical flow (Simonyan & Zisserman 2014), at the cost of one subtraction.
        class_names: optional names of the classes, returned by the exported signature.
        seed: seed of the model's random draws (None: from Keras' global seed).
    """

    # Most frames (batch × frames) one request to the exported signature may carry: 4,096 frames
    # of 64×64 take about 1 GB of activations in the frame encoder; 100,000 took a serving
    # process past 6 GB and down.
    SERVING_EXAMPLES = {"serving_default": {"video": [[[[[0]] * 64] * 64] * 10]}}  # one clip of 10 frames
    MAX_REQUEST_FRAMES = 4_096

    FIELD_CHECKS = dict(conv_filters=positive_integers, frame_features=at_least(1), units=at_least(1),
                        num_layers=at_least(1), dropout=in_unit_interval, min_frames=at_least(1))

    def __init__(
        self,
        frame_shape=(64, 64, 1),
        num_classes=40,
        conv_filters=(16, 32, 64, 64),
        frame_features=128,
        units=128,
        num_layers=1,
        dropout=0.25,
        min_frames=1,
        frame_differences=True,
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
        self.min_frames = int(min_frames)
        self.frame_differences = bool(frame_differences)
        self.class_names = list(class_names) if class_names is not None else None
        if self.class_names is not None and len(self.class_names) != num_classes:
            raise ValueError(f"class_names has {len(self.class_names)} names for num_classes={num_classes}.")
        self.seed = seed
        height, width, channels = self.frame_shape
        encoded = (height, width, 2 * channels) if self.frame_differences else self.frame_shape
        self.network = clip_network(encoded, num_classes, self.conv_filters, frame_features,
                                    units, num_layers, dropout)
        self.build((None, None, *self.frame_shape))

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
            "min_frames": self.min_frames,
            "frame_differences": self.frame_differences,
            "class_names": self.class_names,
            "seed": self.seed,
        }

    def call(self, videos, lengths=None, training=False):
        """Raw frames [batch, frames, height, width, channels] (optionally `lengths` [batch]:
        the real frames of each clip, the rest padding) → class probabilities [batch, classes]."""
        return ops.softmax(self.logits(videos, training=training, lengths=lengths))

    def step_logits(self, videos, training=False):
        """Raw frames [batch, frames, height, width, channels] ([batch, frames, height, width]
        for one channel) → logits after every frame [batch, frames, classes]: entry t
        classifies the clip's first t + 1 frames."""
        videos = self.expect_images(videos, (None, None, *self.frame_shape), "videos")
        if videos.shape[1] == 0:
            raise ValueError("videos must have at least 1 frame, got a clip of 0 frames.")
        return self.network(self.network_inputs(videos), training=training)

    def network_inputs(self, videos):
        """Raw frames → what `network` reads: frames in [0, 1], each beside its difference from
        the frame before when `frame_differences`."""
        frames = ops.cast(videos, "float32") / 255.0
        if not self.frame_differences:
            return frames
        before = ops.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
        return ops.concatenate([frames, frames - before], axis=-1)

    def logits(self, videos, training=False, lengths=None):
        steps = self.step_logits(videos, training=training)
        if lengths is None:
            return steps[:, -1]
        last = ops.cast(ops.reshape(lengths, (-1, 1, 1)), "int32") - 1
        if tf.executing_eagerly():  # in a traced function the signature's own checks apply
            frames = ops.shape(steps)[1]
            if ops.any(last < 0) or ops.any(last >= frames):
                raise ValueError(f"lengths must lie in 1 … {frames} (the clips' frames), got "
                                 f"{ops.convert_to_numpy(ops.reshape(last, (-1,))) + 1}.")
        return ops.take_along_axis(steps, last, axis=1)[:, 0]

    def train_step(self, data):
        videos, labels = data[0], data[1]
        with tf.GradientTape() as tape:
            steps = self.step_logits(videos, training=True)
            loss = self._step_loss(labels, steps)
            scaled = self.optimizer.scale_loss(self.per_replica(loss))
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.apply_gradients(self.optimizer, gradients, self.trainable_variables)
        return self._track(loss, labels, steps[:, -1])

    def test_step(self, data):
        steps = self.step_logits(data[0], training=False)
        return self._track(self._step_loss(data[1], steps), data[1], steps[:, -1])

    @staticmethod
    def _step_loss(labels, steps):
        """Cross-entropy of the answer after every frame, averaged over frames and clips: the
        loss of every clip length the batch's clips contain, at once."""
        frames = ops.shape(steps)[1]
        repeated = ops.repeat(ops.expand_dims(labels, 1), frames, axis=1)
        return ops.mean(keras.losses.sparse_categorical_crossentropy(repeated, steps, from_logits=True))

    LITERT_FRAMES = 10  # the clip length of the shipped weights' headline accuracy

    def litert_shapes(self):
        """A LiteRT export classifies clips of a fixed length (its LSTM loop needs static shapes)."""
        return {"video": (1, self.LITERT_FRAMES, *self.frame_shape)}

    def serving_signatures(self):
        spec = tf.TensorSpec((None, None, *self.frame_shape), tf.uint8, name="video")
        most = self.MAX_REQUEST_FRAMES

        def classify(video):
            video = self.checked(video, spec)
            size = tf.shape(video, out_type=tf.int64)
            video = self.checked_total(
                video, size[0] * size[1], most,
                f"video carries more than {most} frames (batch × frames): one request may carry at most {most}; "
                "send fewer clips per request, or a long clip in parts")
            outputs = self.classification_outputs(self(video, training=False))
            outputs["enough_frames"] = tf.fill(tf.shape(video)[:1], tf.shape(video)[1] >= self.min_frames)
            return outputs

        return {"serving_default": (classify, [spec])}
