"""`convlstm_video`: a convolutional LSTM that generates the next frames of a video (Shi et al.
2015), trained and measured on moving MNIST digits."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.config import at_least, check_fields, one_of, positive_integers
from zoo.models.base import ZooModel
from zoo.models.bernoulli import bernoulli_nll
from zoo.registry import register_model

TRAINING_MODES = ("teacher_forcing", "free_running")


def frame_encoder(frame_shape, filters):
    """Frame [h, w, c] in [0, 1] → the features of each level, finest first: a stride-2 3×3
    convolution and a 3×3 convolution per level (level i is h / 2^(i+1) pixels high)."""
    frame = keras.Input(frame_shape, name="frame")
    x, levels = frame, []
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"down_{i}")(x)
        x = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv_{i}")(x)
        levels.append(x)
    return keras.Model(frame, levels, name="encoder")


def frame_decoder(frame_shape, filters, memory_filters):
    """(ConvLSTM output at the coarsest level, the encoder's levels of the current frame) → the
    next frame's Bernoulli logits [h, w, c]. The encoder's levels come in as skip connections
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
    logits = layers.Conv2D(channels, 3, padding="same", name="pixel_logits")(x)
    return keras.Model([memory, *levels], logits, name="decoder")


@register_model(
    "convlstm_video",
    task="video generation (next-frame prediction)",
    dataset="moving_mnist_motion",
    recipe="recipes.convlstm_video.recipe",
    metric="test_mse",
)
class ConvLSTMVideo(ZooModel):
    """ConvLSTM next-frame predictor: given the first frames of a clip, generates the next ones.

    Each frame goes through a convolutional encoder; stacked `ConvLSTM2D` cells carry what the
    frames so far showed (where the digits are, how they move) at the encoder's coarsest level;
    a decoder with skip connections from the current frame's encoder levels gives the next
    frame's Bernoulli logit per pixel. To generate, each predicted frame (its probabilities) is
    fed back in as the next input.

    Example:

    >>> model = ConvLSTMVideo(encoder_filters=[4, 8], lstm_filters=[8])
    >>> clips = np.zeros((2, 3, 64, 64, 1), "uint8")
    >>> model.predict_frames(clips, 4).shape   # 3 frames seen, 4 generated
    TensorShape([2, 4, 64, 64, 1])

    Args:
        frame_shape: (height, width, channels); height and width divisible by 2^levels.
        encoder_filters: filters of each encoder level (each halves the frame's side).
        lstm_filters: filters of each stacked ConvLSTM2D cell.
        kernel_size: the ConvLSTM cells' kernel (5 at 16×16 lets a digit move 2 cells a frame).
        observed_frames: frames of a training clip the model is given; it learns to predict the
            rest of the clip from them.
        training_mode: "free_running" (after the observed frames the model's own predictions are
            its inputs, as when it generates) or "teacher_forcing" (always the true frames).
        seed: seed of the model's random draws (None: Keras' global seed).
    """

    MAX_REQUEST_FRAMES = 2_048  # batch × (given + generated frames) one request may carry
    MAX_GENERATED_FRAMES = 1_000  # frames one request may ask to generate

    FIELD_CHECKS = dict(encoder_filters=positive_integers, lstm_filters=positive_integers, kernel_size=at_least(1),
                        observed_frames=at_least(1), training_mode=one_of(*TRAINING_MODES))

    def __init__(self, frame_shape=(64, 64, 1), encoder_filters=(32, 64), lstm_filters=(64,), kernel_size=5,
                 observed_frames=5, training_mode="free_running", seed=None, **kwargs):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.frame_shape = self.image_shape_of(frame_shape, divisible_by=2 ** len(encoder_filters))
        self.encoder_filters = [int(f) for f in encoder_filters]
        self.lstm_filters = [int(f) for f in lstm_filters]
        self.kernel_size = kernel_size
        self.observed_frames = observed_frames
        self.training_mode = training_mode
        self.seed = seed
        self.encoder = frame_encoder(self.frame_shape, self.encoder_filters)
        self.memory = [layers.ConvLSTM2D(f, kernel_size, padding="same", name=f"convlstm_{i}")
                       for i, f in enumerate(self.lstm_filters)]
        self.decoder = frame_decoder(self.frame_shape, self.encoder_filters, self.lstm_filters[-1])
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mse_tracker = keras.metrics.Mean(name="mse")
        self.build((None, None, *self.frame_shape))

    def build(self, input_shape):
        height, width, _ = self.frame_shape
        scale = 2 ** len(self.encoder_filters)
        size = self.encoder_filters[-1]
        for layer, filters in zip(self.memory, self.lstm_filters):
            layer.build((None, None, height // scale, width // scale, size))
            size = filters
        self.built = True

    def get_config(self):
        return {
            **super().get_config(),
            "frame_shape": list(self.frame_shape),
            "encoder_filters": list(self.encoder_filters),
            "lstm_filters": list(self.lstm_filters),
            "kernel_size": self.kernel_size,
            "observed_frames": self.observed_frames,
            "training_mode": self.training_mode,
            "seed": self.seed,
        }

    def compile(self, optimizer="adam", **kwargs):
        """Keras' compile with Adam as the default; the loss is the model's own."""
        super().compile(optimizer=optimizer, **kwargs)

    @property
    def metrics(self):
        return [self.loss_tracker, self.mse_tracker]

    # --- the public methods: raw uint8 frames in, probabilities in [0, 1] out ----------------
    def call(self, videos, training=False):
        """Raw frames [batch, frames, h, w, c] → the next frame's pixel probabilities [batch, h, w, c]."""
        return self.predict_frames(videos, 1)[:, 0]

    def predict_frames(self, videos, num_frames):
        """Raw frames [batch, k, h, w, c] (any k ≥ 1) → the `num_frames` frames that follow
        [batch, num_frames, h, w, c], pixel probabilities in [0, 1], each generated from the
        frames before it (the given ones, then its own predictions)."""
        videos = self.expect_shape(videos, (None, None, *self.frame_shape), "videos")
        if videos.shape[1] == 0:
            raise ValueError("videos must have at least 1 frame, got a clip of 0 frames.")
        if int(num_frames) < 1:
            raise ValueError(f"num_frames must be at least 1, got {num_frames}.")
        return self._rollout(self._frames(videos), tf.constant(int(num_frames), tf.int32))

    def _frames(self, videos):
        return ops.cast(videos, "float32") / 255.0

    # --- the network --------------------------------------------------------------------------
    def _zero_states(self, batch):
        height, width, _ = self.frame_shape
        scale = 2 ** len(self.encoder_filters)
        return [[ops.zeros((batch, height // scale, width // scale, f))] * 2 for f in self.lstm_filters]

    def _step(self, frame, states, training=False):
        """One frame [batch, h, w, c] in [0, 1] and the cells' states → (the next frame's logits,
        the new states)."""
        levels = self.encoder(frame, training=training)
        levels = levels if isinstance(levels, (list, tuple)) else [levels]
        x, new_states = levels[-1], []
        for layer, state in zip(self.memory, states):
            x, state = layer.cell(x, state, training=training)
            new_states.append(list(state))
        return self.decoder([x, *levels], training=training), new_states

    def _rollout(self, frames, num_frames):
        """Frames [batch, k, h, w, c] in [0, 1] → the next `num_frames` frames' probabilities."""
        batch, given = tf.shape(frames)[0], tf.shape(frames)[1]

        def observe(t, states, logits):
            logits, states = self._step(frames[:, t], states)
            return t + 1, states, logits

        _, states, logits = tf.while_loop(
            lambda t, *_: t < given, observe,
            (tf.constant(0), self._zero_states(batch), tf.zeros_like(frames[:, 0])))

        def generate(i, states, logits, out):
            frame = tf.sigmoid(logits)
            out = out.write(i, frame)
            logits, states = tf.cond(i + 1 < num_frames, lambda: self._step(frame, states),
                                     lambda: (logits, states))
            return i + 1, states, logits, out

        out = tf.TensorArray(tf.float32, size=num_frames, element_shape=(None, *self.frame_shape))
        out = tf.while_loop(lambda i, *_: i < num_frames, generate, (tf.constant(0), states, logits, out))[3]
        return tf.transpose(out.stack(), [1, 0, 2, 3, 4])

    # --- training ----------------------------------------------------------------------------
    def _clip_losses(self, videos, training):
        """(mean binary cross-entropy per frame, mean squared error per frame), both summed
        over a frame's pixels, over every frame the clip lets the model predict. The first
        `observed_frames` inputs are true frames; after them the inputs are the model's own
        predictions when free-running."""
        frames = self._frames(videos)
        steps = frames.shape[1]
        if steps is None or steps < 2:
            raise ValueError(f"training clips need a fixed number of at least 2 frames, got {steps}.")
        free = self.training_mode == "free_running"
        states, frame = self._zero_states(ops.shape(frames)[0]), frames[:, 0]
        bce, mse = [], []
        for t in range(steps - 1):
            logits, states = self._step(frame, states, training=training)
            target = frames[:, t + 1]
            bce.append(ops.sum(bernoulli_nll(target, logits), axis=(1, 2, 3)))
            predicted = ops.sigmoid(logits)
            mse.append(ops.sum(ops.square(predicted - target), axis=(1, 2, 3)))
            frame = predicted if free and t + 1 >= self.observed_frames else target
        return ops.mean(ops.stack(bce)), ops.mean(ops.stack(mse))

    def train_step(self, data):
        videos = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            loss, mse = self._clip_losses(videos, training=True)
            scaled = self.optimizer.scale_loss(self.per_replica(loss))
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.apply_gradients(self.optimizer, gradients, self.trainable_variables)
        return self._track(loss, mse)

    def test_step(self, data):
        videos = data[0] if isinstance(data, (tuple, list)) else data
        return self._track(*self._clip_losses(videos, training=False))

    def _track(self, loss, mse):
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(mse)
        return self.step_logs()

    # --- serving -----------------------------------------------------------------------------
    def serving_signatures(self):
        video_spec = tf.TensorSpec((None, None, *self.frame_shape), tf.uint8, name="video")
        count_spec = tf.TensorSpec((), tf.int32, name="num_frames")
        most = self.MAX_REQUEST_FRAMES

        def predict(video, num_frames):
            video = self.checked(video, video_spec)
            num_frames = self.checked_count(num_frames, count_spec, self.MAX_GENERATED_FRAMES)
            size = tf.shape(video, out_type=tf.int64)
            carried = size[0] * (size[1] + tf.cast(num_frames, tf.int64))
            check = tf.debugging.assert_less_equal(
                carried, tf.constant(most, tf.int64),
                message=f"video carries more than {most} frames (batch × (given + num_frames)): one request may "
                        f"carry at most {most}; send fewer clips or ask for fewer frames per request")
            with tf.control_dependencies([check]):
                video = tf.identity(video)
            predicted = self._rollout(self._frames(video), num_frames)
            return {"frames": tf.cast(tf.round(predicted * 255.0), tf.uint8)}

        return {"serving_default": (predict, [video_spec, count_spec])}
