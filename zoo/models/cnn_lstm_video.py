"""`cnn_lstm_video`: a per-frame CNN (TimeDistributed) feeding an LSTM, classifying video clips."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.models.base import ZooClassifier
from zoo.models.cells import CELLS, recurrent_layer
from zoo.models.replicas import ReplicaDropout, batch_norm
from zoo.config import at_least, check_fields, in_unit_interval, one_of, positive_integers
from zoo.registry import register_model


def frame_encoder_network(frame_shape, conv_filters, frame_features):
    """The frame encoder: one frame [height, width, channels] in [0, 1] → [frame_features].

    Strided 3×3 convolutions (batch norm, ReLU) halve the frame per layer. The last map is
    flattened, because where a thing is in the frame is what the LSTM compares across time,
    and also max-pooled over the frame: what is there, the same wherever it is. A dense ReLU
    layer turns both into the frame's features.

    Args:
        frame_shape: (height, width, channels) of a frame (with frame differences: twice
            the frame's channels).
        conv_filters: filters of each convolution; its length is the encoder's depth.
        frame_features: size of the output feature vector.

    Returns:
        keras.Model: frames [batch, height, width, channels] → features
            [batch, frame_features], named "frame_encoder".

    Examples:
        >>> encoder = frame_encoder_network((64, 64, 1), [16, 32], frame_features=128)
        >>> encoder.input_shape, encoder.output_shape
        ((None, 64, 64, 1), (None, 128))
    """
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
    """`TimeDistributed` that folds time into the batch.

    One call of the wrapped layer on all `batch × frames` frames, then back to
    [batch, frames, ...]. Keras' own version loops over a static time axis and
    `vectorized_map`s a dynamic one, which fails in an exported SavedModel served a frame
    count it was not traced with; a reshape works for any count (and batch norm sees every
    frame of the batch at once). It is constructed as `TimeDistributed` is: with the layer
    (or model) to apply to every frame.

    Examples:
        >>> import tensorflow as tf
        >>> import keras
        >>> per_frame = FrameDistributed(keras.layers.Flatten())
        >>> per_frame(tf.zeros((2, 5, 4, 4, 1))).shape
        TensorShape([2, 5, 16])
    """

    def call(self, inputs, training=None, mask=None):
        """Applies the wrapped layer to every frame at once.

        Args:
            inputs: [batch, frames, ...] (frames may be unknown when traced).
            training: passed on to the wrapped layer.
            mask: unused (Keras passes it).

        Returns:
            tf.Tensor: [batch, frames, ...the wrapped layer's output shape].
        """
        shape = ops.shape(inputs)
        outputs = self.layer(ops.reshape(inputs, (-1, *inputs.shape[2:])), training=training)
        return ops.reshape(outputs, (shape[0], shape[1], *outputs.shape[1:]))


def clip_network(frame_shape, num_classes, conv_filters, frame_features, units, num_layers, dropout, cell="lstm"):
    """The clip network: frames in [0, 1] → logits after every frame.

    Step t's logits classify the clip of frames 0 … t. The frame encoder
    (`frame_encoder_network`, applied by `FrameDistributed`) feeds stacked LSTMs that read
    forward only, so step t never sees a later frame, and any number of frames works; a clip
    padded at the end is read at its last real frame.

    Args:
        frame_shape: (height, width, channels) of what the encoder reads per frame.
        num_classes: number of classes.
        conv_filters: filters of each strided convolution of the frame encoder.
        frame_features: size of each frame's feature vector.
        units: LSTM units.
        num_layers: stacked LSTM layers.
        dropout: dropout rate on the LSTM's output, during training.
        cell: the recurrent layers' kind, "lstm", "gru" or "rnn" (`zoo.models.cells`).

    Returns:
        keras.Model: frames [batch, time, *frame_shape] → logits [batch, time, num_classes],
            named "cnn_lstm".

    Examples:
        >>> network = clip_network((64, 64, 2), 40, [4], frame_features=8, units=8,
        ...                        num_layers=1, dropout=0.25)
        >>> network.input_shape, network.output_shape
        ((None, None, 64, 64, 2), (None, None, 40))
    """
    frames = keras.Input((None, *frame_shape), name="frames")
    x = FrameDistributed(frame_encoder_network(frame_shape, conv_filters, frame_features), name="per_frame")(frames)
    for i in range(num_layers):
        x = recurrent_layer(cell, units, return_sequences=True, name=f"{cell}_{i}")(x)
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
        cell: the recurrent layers' kind: "lstm" (default, as the shipped weights are), "gru"
            or "rnn" (a plain tanh RNN; `zoo.models.cells`).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
        zoo.ConfigError: if a field fails its check (`FIELD_CHECKS`: conv_filters positive
            integers, sizes and min_frames at least 1, dropout in [0, 1)).
        zoo.ConfigError: (a ValueError) if `frame_shape` is not (height, width, channels) with height and width
            divisible by 2 ** len(conv_filters), or `class_names` does not have
            `num_classes` names.

    Attributes:
        FIELD_CHECKS: the checks of the constructor's fields (`zoo.config`).
        MAX_REQUEST_FRAMES: the most frames (batch × frames) one request to the exported
            signature may carry (4,096: 4,096 frames of 64×64 take about 1 GB of activations
            in the frame encoder; 100,000 took a serving process past 6 GB and down).
        LITERT_FRAMES: the clip length of a LiteRT export (10: that of the shipped weights'
            headline accuracy).
        SERVING_EXAMPLES: the docs' example request: one clip of 10 black frames.
        network: the clip network (`clip_network`): frames → logits after every frame.

    Examples:
        >>> import numpy as np
        >>> model = CNNLSTMVideo(frame_shape=(64, 64, 1), num_classes=40)
        >>> clips = np.zeros((2, 7, 64, 64, 1), "uint8")        # 2 clips of 7 frames
        >>> model.predict(clips, verbose=0).shape                # class probabilities
        (2, 40)
        >>> model(clips[:, :5], lengths=[5, 3]).shape            # the second clip has 3 frames
        TensorShape([2, 40])
        >>> model.step_logits(clips).shape                       # the answer after each frame
        TensorShape([2, 7, 40])
    """

    # Most frames (batch × frames) one request to the exported signature may carry: 4,096 frames
    # of 64×64 take about 1 GB of activations in the frame encoder; 100,000 took a serving
    # process past 6 GB and down.
    SERVING_EXAMPLES = {"serving_default": {"video": [[[[[0]] * 64] * 64] * 10]}}  # one clip of 10 frames
    MAX_REQUEST_FRAMES = 4_096

    FIELD_CHECKS = dict(conv_filters=positive_integers, frame_features=at_least(1), units=at_least(1),
                        num_layers=at_least(1), dropout=in_unit_interval, min_frames=at_least(1),
                        num_classes=at_least(2), cell=one_of(*CELLS))

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
        cell="lstm",
        **kwargs,
    ):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.frame_shape = self.image_shape_of(frame_shape, divisible_by=2 ** len(conv_filters), field="frame_shape")
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
        self.cell = cell
        height, width, channels = self.frame_shape
        encoded = (height, width, 2 * channels) if self.frame_differences else self.frame_shape
        self.network = clip_network(encoded, num_classes, self.conv_filters, frame_features,
                                    units, num_layers, dropout, cell)
        self.build((None, None, *self.frame_shape))

    def get_config(self):
        """The constructor's fields, for `from_config` and a `.keras` file.

        Returns:
            dict: `keras.Model`'s config plus every constructor field (`frame_shape` and
                `conv_filters` as lists).
        """
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
            "cell": self.cell,
        }

    def call(self, videos, lengths=None, training=False):
        """Raw frames → class probabilities of each clip.

        Args:
            videos: raw frames (0..255) [batch, frames, height, width, channels] (or
                without the channel axis for one channel).
            lengths: optional [batch]: the real frames of each clip, the rest padding; None
                (the default): every clip has all the frames.
            training: whether to run in training mode (batch norm, dropout). Default: False.

        Returns:
            tf.Tensor: float32 class probabilities [batch, num_classes].
        """
        return ops.softmax(self.logits(videos, training=training, lengths=lengths))

    def step_logits(self, videos, training=False):
        """Raw frames → logits after every frame.

        Entry t classifies the clip's first t + 1 frames.

        Args:
            videos: raw frames (0..255) [batch, frames, height, width, channels]
                ([batch, frames, height, width] for one channel).
            training: whether to run in training mode (batch norm, dropout). Default: False.

        Returns:
            tf.Tensor: float32 logits [batch, frames, num_classes].

        Raises:
            ValueError: if `videos` are not of the model's frame shape, or have no frames.

        Examples:
            >>> import numpy as np
            >>> model = CNNLSTMVideo(frame_shape=(16, 16, 1), num_classes=4, conv_filters=[4],
            ...                      frame_features=8, units=8)
            >>> model.step_logits(np.zeros((2, 5, 16, 16), "uint8")).shape
            TensorShape([2, 5, 4])
        """
        videos = self.expect_images(videos, (None, None, *self.frame_shape), "videos")
        if videos.shape[1] == 0:
            raise ValueError("videos must have at least 1 frame, got a clip of 0 frames.")
        return self.network(self.network_inputs(videos), training=training)

    def network_inputs(self, videos):
        """Raw frames → what `network` reads.

        Args:
            videos: raw frames (0..255) [batch, frames, height, width, channels].

        Returns:
            tf.Tensor: float32 frames in [0, 1]; when `frame_differences`, each beside its
                difference from the frame before (zero for the first), doubling the channels.

        Examples:
            >>> import numpy as np
            >>> model = CNNLSTMVideo(frame_shape=(16, 16, 1), num_classes=4, conv_filters=[4],
            ...                      frame_features=8, units=8)
            >>> clips = np.zeros((1, 3, 16, 16, 1), "uint8")
            >>> clips[:, 2] = 255  # the last frame turns white
            >>> inputs = model.network_inputs(clips)
            >>> inputs.shape, inputs[0, :, 0, 0, 1].numpy().tolist()  # the differences
            (TensorShape([1, 3, 16, 16, 2]), [0.0, 0.0, 1.0])
        """
        frames = ops.cast(videos, "float32") / 255.0
        if not self.frame_differences:
            return frames
        before = ops.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
        return ops.concatenate([frames, frames - before], axis=-1)

    def logits(self, videos, training=False, lengths=None):
        """Raw frames → class logits of each clip, the answer after its last (real) frame.

        Args:
            videos: raw frames (0..255) [batch, frames, height, width, channels] (or
                without the channel axis for one channel).
            training: whether to run in training mode (batch norm, dropout). Default: False.
            lengths: optional [batch]: the real frames of each clip, the rest padding; None
                (the default): the last frame.

        Returns:
            tf.Tensor: float32 logits [batch, num_classes].

        Raises:
            ValueError: if `videos` are not of the model's frame shape or have no frames, or
                (run eagerly) a length is not in 1 … frames.

        Examples:
            >>> import numpy as np
            >>> model = CNNLSTMVideo(frame_shape=(16, 16, 1), num_classes=4, conv_filters=[4],
            ...                      frame_features=8, units=8)
            >>> clips = np.zeros((2, 5, 16, 16, 1), "uint8")
            >>> model.logits(clips, lengths=[5, 2]).shape
            TensorShape([2, 4])
            >>> model.logits(clips, lengths=[6, 2])
            Traceback (most recent call last):
            ...
            ValueError: lengths must lie in 1 … 5 (the clips' frames), got [6 2].
        """
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
        """One optimizer step on a batch, with the loss on the answer after every frame.

        Every clip length the batch's clips contain is trained at once; the accuracy is that
        of the answer after the last frame.

        Args:
            data: (videos, labels): raw frames and class ids [batch].

        Returns:
            dict: the metrics so far (`step_logs`): loss and accuracy.
        """
        videos, labels = data[0], data[1]
        with tf.GradientTape() as tape:
            steps = self.step_logits(videos, training=True)
            loss = self._step_loss(labels, steps)
            scaled = self.optimizer.scale_loss(self.per_replica(loss))
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.apply_gradients(self.optimizer, gradients, self.trainable_variables)
        return self._track(loss, labels, steps[:, -1])

    def test_step(self, data):
        """Measures a batch: the loss after every frame, the accuracy after the last.

        Args:
            data: (videos, labels): raw frames and class ids [batch].

        Returns:
            dict: the metrics so far (`step_logs`): loss and accuracy.
        """
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
        """A LiteRT export classifies clips of a fixed length: `LITERT_FRAMES` frames.

        Its LSTM loop needs static shapes.

        Returns:
            dict: {"video": (1, LITERT_FRAMES, height, width, channels)}.

        Examples:
            >>> model = CNNLSTMVideo(frame_shape=(16, 16, 1), num_classes=4, conv_filters=[4],
            ...                      frame_features=8, units=8)
            >>> model.litert_shapes()
            {'video': (1, 10, 16, 16, 1)}
        """
        return {"video": (1, self.LITERT_FRAMES, *self.frame_shape)}

    def serving_signatures(self):
        """The endpoint `zoo.export` writes: `serving_default`.

        It takes `video`, uint8 [batch, frames, height, width, channels] (at most
        `MAX_REQUEST_FRAMES` frames in all), and returns `probabilities` (float32
        [batch, num_classes]), `class_id` (int32 [batch]), `enough_frames` (bool [batch]:
        whether the clips have at least `min_frames` frames) and, when the model has
        `class_names`, `class_name` (string [batch]).

        Returns:
            dict: {"serving_default": (function, [tf.TensorSpec])}.

        Examples:
            >>> import tensorflow as tf
            >>> model = CNNLSTMVideo(frame_shape=(16, 16, 1), num_classes=4, conv_filters=[4],
            ...                      frame_features=8, units=8, min_frames=2)
            >>> classify, specs = model.serving_signatures()["serving_default"]
            >>> outputs = classify(tf.zeros((3, 1, 16, 16, 1), tf.uint8))  # clips of 1 frame
            >>> sorted(outputs), outputs["enough_frames"].numpy().tolist()
            (['class_id', 'enough_frames', 'probabilities'], [False, False, False])
        """
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
