"""`convlstm_video`: a convolutional LSTM that generates the next frames of a video.

After Shi et al. (2015); trained and measured on moving MNIST digits."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.config import at_least, check_fields, one_of, positive, positive_integers
from zoo.models.base import ZooModel
from zoo.models.frame_networks import (binary_cross_entropy, frame_decoder, frame_encoder, sharpened, shift_correlation,
                                       translate)
from zoo.registry import register_model

TRAINING_MODES = ("teacher_forcing", "free_running")


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
    a decoder with skip connections from the current frame's encoder levels draws the next frame.
    With `transform_kernels` k > 0 the next frame is mostly *moved* rather than redrawn (CDNA,
    Finn et al. 2016): from the ConvLSTM's state the model predicts k normalised s × s kernels
    per clip, convolves the current frame with each (a kernel that is one lit pixel shifts the
    frame), and the decoder's per-pixel masks mix those k moved frames and its own drawn pixels.
    Each kernel's logits also get a correlation term (FlowNet's correlation layer): how well each
    shift moves the previous frame onto the current one, i.e. the motion to continue; without it
    the kernels learned in the time budget came out the same for every clip. A digit moved this
    way stays sharp over many generated frames. Pixel values are Bernoulli
    probabilities; to generate, each predicted frame is fed back in as the next input.

    It has no `cell` field (the LSTM-against-GRU-against-RNN comparison of the other recurrent
    models, `zoo.models.cells`): Keras has only convolutional LSTMs (`ConvLSTM1D/2D/3D`), no
    convolutional GRU or plain RNN to swap in, so another cell would be convolutional cells of
    our own, a new model rather than a setting; and its clips of 20 frames are not where the
    gates' long-range memory would show (`benchmarks.cells` measures that on 196 steps and more).

    Args:
        frame_shape: (height, width, channels); height and width divisible by 2^levels.
        encoder_filters: filters of each encoder level (each halves the frame's side).
        lstm_filters: filters of each stacked ConvLSTM2D cell.
        kernel_size: the ConvLSTM cells' kernel (5 at 16×16 lets a digit move 2 cells a frame).
        observed_frames: frames of a training clip the model is given; it learns to predict the
            rest of the clip from them.
        training_mode: "free_running" (after the observed frames the model's own predictions are
            its inputs, as when it generates) or "teacher_forcing" (always the true frames).
        transform_kernels: k, the moved copies of the current frame mixed into the next (0: the
            decoder draws every pixel).
        transform_size: s, the kernels' side: a kernel moves a frame at most (s − 1) / 2 pixels.
        frame_temperature: T, the temperature of each generated frame's pixel logits: every
            generated frame (returned, and fed back in) is sigmoid(logit(p) / T) of the predicted
            probabilities p. Below 1 it sharpens: a predicted frame is a mean over what the model
            is unsure of (a digit at a wall: bounce now or one frame later), and fed back that
            blur compounds frame after frame. Training losses are of p itself; free-running
            training feeds back the sharpened frames it will generate from.
        seed: seed of the model's random draws (None: Keras' global seed).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
        zoo.ConfigError: a field fails its check (`encoder_filters` or `lstm_filters` not
            positive integers, `kernel_size`, `observed_frames` or `transform_size` below 1,
            `transform_kernels` below 0, an unknown `training_mode`, `frame_temperature` not
            positive).
        zoo.ConfigError: (a ValueError) `frame_shape` is not (height, width, channels) with height and width
            divisible by 2^levels (levels: the length of `encoder_filters`).

    Examples:
        >>> import numpy as np, zoo
        >>> model = zoo.load("convlstm_video", encoder_filters=[4, 8], lstm_filters=[8])
        >>> clips = np.zeros((2, 3, 64, 64, 1), "uint8")
        >>> frames = model.predict_frames(clips, 4)   # 3 frames seen, 4 generated
        >>> frames.shape, frames.dtype
        (TensorShape([2, 4, 64, 64, 1]), tf.uint8)
    """

    SERVING_EXAMPLES = {"serving_default": {"video": [[[[[0]] * 64] * 64] * 5], "num_frames": 5}}
    MAX_REQUEST_FRAMES = 2_048  # batch × (given + generated frames) one request may carry
    MAX_GENERATED_FRAMES = 1_000  # frames one request may ask to generate

    FIELD_CHECKS = dict(encoder_filters=positive_integers, lstm_filters=positive_integers, kernel_size=at_least(1),
                        observed_frames=at_least(1), training_mode=one_of(*TRAINING_MODES),
                        transform_kernels=at_least(0), transform_size=at_least(1), frame_temperature=positive)

    def __init__(self, frame_shape=(64, 64, 1), encoder_filters=(32, 64), lstm_filters=(64,), kernel_size=5,
                 observed_frames=5, training_mode="free_running", transform_kernels=4, transform_size=11,
                 frame_temperature=1.0, seed=None, **kwargs):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.frame_shape = self.image_shape_of(frame_shape, divisible_by=2 ** len(encoder_filters), field="frame_shape")
        self.encoder_filters = [int(f) for f in encoder_filters]
        self.lstm_filters = [int(f) for f in lstm_filters]
        self.kernel_size = kernel_size
        self.observed_frames = observed_frames
        self.training_mode = training_mode
        self.transform_kernels = int(transform_kernels)
        self.transform_size = int(transform_size)
        self.frame_temperature = float(frame_temperature)
        self.seed = seed
        height, width, channels = self.frame_shape
        self.encoder = frame_encoder((height, width, 2 * channels), self.encoder_filters)
        self.memory = [layers.ConvLSTM2D(f, kernel_size, padding="same", name=f"convlstm_{i}")
                       for i, f in enumerate(self.lstm_filters)]
        self.decoder = frame_decoder(self.frame_shape, self.encoder_filters, self.lstm_filters[-1],
                                     channels + (self.transform_kernels + 1 if self.transform_kernels else 0))
        if self.transform_kernels:
            self.kernel_features = layers.Conv2D(64, 3, padding="same", activation="relu", name="kernel_features")
            self.kernel_attention = layers.Conv2D(self.transform_kernels, 3, padding="same", name="kernel_attention")
            self.kernel_hidden = layers.Dense(128, activation="relu", name="kernel_hidden")
            self.kernel_logits = layers.Dense(self.transform_size ** 2, name="kernel_logits")
            self.correlation_scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(30.0),
                                                     name="correlation_scale")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mse_tracker = keras.metrics.Mean(name="mse")
        self.build((None, None, *self.frame_shape))

    def build(self, input_shape):
        """Builds the ConvLSTM cells and the kernel layers for frames of `frame_shape`.

        The constructor calls it; the encoder and decoder are built at construction.

        Args:
            input_shape: unused: every layer's shape follows from the model's fields.
        """
        height, width, _ = self.frame_shape
        scale = 2 ** len(self.encoder_filters)
        size = self.encoder_filters[-1]
        for layer, filters in zip(self.memory, self.lstm_filters):
            layer.build((None, None, height // scale, width // scale, size))
            size = filters
        if self.transform_kernels:
            self.kernel_features.build((None, height // scale, width // scale, size))
            self.kernel_attention.build((None, height // scale, width // scale, size))
            self.kernel_hidden.build((None, 64))
            self.kernel_logits.build((None, 128))
        self.built = True

    def get_config(self):
        """The constructor fields, for a `.keras` round trip.

        Returns:
            A dict: `keras.Model`'s config plus every constructor field (shapes and filters as
            lists).
        """
        return {**super().get_config(), "frame_shape": list(self.frame_shape),
                "encoder_filters": list(self.encoder_filters), "lstm_filters": list(self.lstm_filters),
                "kernel_size": self.kernel_size, "observed_frames": self.observed_frames,
                "training_mode": self.training_mode, "transform_kernels": self.transform_kernels,
                "transform_size": self.transform_size, "frame_temperature": self.frame_temperature, "seed": self.seed}

    def compile(self, optimizer="adam", **kwargs):
        """Keras' compile with Adam as the default; the loss is the model's own.

        The loss is the binary cross-entropy of the predicted frames (nats summed over a
        frame's pixels, averaged over frames).

        Args:
            optimizer: a Keras optimizer or its name; default "adam".
            **kwargs: further `keras.Model.compile` arguments (e.g. `jit_compile`); a `loss` goes
                unused: the model computes its own.
        """
        super().compile(optimizer=optimizer, **kwargs)

    @property
    def metrics(self):
        """The metrics Keras resets each epoch: `loss` (cross-entropy) and `mse`, per frame.

        Returns:
            A list: the two `keras.metrics.Mean` trackers.
        """
        return [self.loss_tracker, self.mse_tracker]

    # --- the public methods: raw uint8 frames in, uint8 frames (or probabilities) out --------
    def call(self, videos, training=False):
        """Raw frames → the next frame's pixel probabilities.

        What `predict` gives; `predict_frames` gives uint8 frames, and more than one.

        Args:
            videos: raw frames [batch, frames, h, w, c] (or [batch, frames, h, w] for one
                channel), at least one frame.
            training: unused: prediction runs the network in inference mode.

        Returns:
            The next frame's pixel probabilities, float32 in [0, 1], [batch, h, w, c].
        """
        return self.predict_frames(videos, 1, output="float")[:, 0]

    def predict_frames(self, videos, num_frames, output="uint8"):
        """Generates the `num_frames` frames that follow each clip.

        Each frame is generated from the frames before it: the given ones, then the model's
        own predictions, each sharpened at `frame_temperature` before it is fed back.

        Args:
            videos: raw frames (0–255) [batch, k, h, w, c], any k ≥ 1 ([batch, k, h, w] for
                one channel).
            num_frames: how many frames to generate, at least 1.
            output: "uint8" (default) for frames as the export gives them, "float" for the
                pixel probabilities in [0, 1] (at `frame_temperature`).

        Returns:
            The generated frames [batch, num_frames, h, w, c]: uint8, or float32 in [0, 1].

        Raises:
            ValueError: `output` is not "uint8" or "float", `videos` is not of shape
                [batch, k, *frame_shape] or has no frame, or `num_frames` is below 1.

        Examples:
            >>> import numpy as np, zoo
            >>> model = zoo.load("convlstm_video", frame_shape=(16, 16, 1), encoder_filters=[4, 8],
            ...                  lstm_filters=[8], transform_kernels=2, transform_size=3)
            >>> clips = np.zeros((2, 3, 16, 16), "uint8")  # one channel: its axis may be left out
            >>> frames = model.predict_frames(clips, 2, output="float")
            >>> frames.shape, frames.dtype
            (TensorShape([2, 2, 16, 16, 1]), tf.float32)
            >>> model.predict_frames(clips, 0)
            Traceback (most recent call last):
            ...
            ValueError: num_frames must be at least 1, got 0.
        """
        self.checked_output(output)
        videos = self.expect_images(videos, (None, None, *self.frame_shape), "videos")
        if videos.shape[1] == 0:
            raise ValueError("videos must have at least 1 frame, got a clip of 0 frames.")
        if int(num_frames) < 1:
            raise ValueError(f"num_frames must be at least 1, got {num_frames}.")
        return self.as_output(self.rollout(self._frames(videos), tf.constant(int(num_frames), tf.int32)), output)

    def _frames(self, videos):
        return ops.cast(videos, "float32") / 255.0

    # --- the network --------------------------------------------------------------------------
    def _zero_states(self, batch):
        """The state before the first frame: (the previous frame, all 0, and each cell's (h, c))."""
        height, width, _ = self.frame_shape
        scale = 2 ** len(self.encoder_filters)
        cells = [[ops.zeros((batch, height // scale, width // scale, f))] * 2 for f in self.lstm_filters]
        return ops.zeros((batch, *self.frame_shape)), cells

    def _step(self, frame, states, training=False):
        """One frame [batch, h, w, c] in [0, 1] and the state (the previous frame, the cells'
        states) → (the next frame's pixel probabilities, the new state). The encoder sees the
        frame and its difference from the previous one, where the motion shows directly."""
        previous, cells = states
        levels = self.encoder(ops.concatenate([frame, frame - previous], axis=-1), training=training)
        levels = levels if isinstance(levels, (list, tuple)) else [levels]
        x, new_cells = levels[-1], []
        for layer, state in zip(self.memory, cells):
            x, state = layer.cell(x, state, training=training)
            new_cells.append(list(state))
        new_states = (frame, new_cells)
        out = self.decoder([x, *levels], training=training)
        channels = self.frame_shape[2]
        drawn = tf.sigmoid(out[..., :channels])
        if not self.transform_kernels:
            return drawn, new_states
        size, count = self.transform_size, self.transform_kernels
        # Kernel i is read from the state pooled over the positions its own attention picks (a
        # digit, say): the same motion anywhere in the frame gives the same kernel.
        features = self.kernel_features(x, training=training)
        features = tf.reshape(features, [tf.shape(features)[0], -1, features.shape[-1]])  # [b, cells, f]
        attention = self.kernel_attention(x, training=training)
        attention = tf.nn.softmax(tf.reshape(attention, [tf.shape(attention)[0], -1, count]), axis=1)
        pooled = tf.einsum("bpk,bpf->bkf", attention, features)
        kernels = self.kernel_logits(self.kernel_hidden(pooled, training=training), training=training)
        motion = tf.reshape(shift_correlation(previous, frame, size), [-1, 1, size * size])
        kernels = kernels + self.correlation_scale * motion
        kernels = tf.transpose(tf.nn.softmax(kernels, axis=-1), [0, 2, 1])  # [b, s·s, k]
        kernels = tf.reshape(kernels, [-1, size, size, count])
        candidates = tf.concat([translate(frame, kernels), drawn[..., None]], axis=-1)  # [b, h, w, c, k + 1]
        masks = tf.nn.softmax(out[..., channels:], axis=-1)[:, :, :, None, :]
        return tf.reduce_sum(masks * candidates, axis=-1), new_states

    def rollout(self, frames, num_frames):
        """Frames in [0, 1] → the next `num_frames` frames' probabilities, no checks.

        The loop `predict_frames` and the exported signature run: every given frame updates
        the state, then each generated frame, sharpened at `frame_temperature`, is returned
        and fed back.

        Args:
            frames: float32 frames in [0, 1], [batch, k, h, w, c], k ≥ 1.
            num_frames: how many frames to generate (an int or a scalar int32 tensor), ≥ 1.

        Returns:
            The generated frames' pixel probabilities, float32 [batch, num_frames, h, w, c].

        Examples:
            >>> import tensorflow as tf, zoo
            >>> model = zoo.load("convlstm_video", frame_shape=(16, 16, 1), encoder_filters=[4, 8],
            ...                  lstm_filters=[8], transform_kernels=2, transform_size=3)
            >>> model.rollout(tf.zeros((1, 2, 16, 16, 1)), 3).shape
            TensorShape([1, 3, 16, 16, 1])
        """
        batch, given = tf.shape(frames)[0], tf.shape(frames)[1]

        def observe(t, states):
            return t + 1, self._step(frames[:, t], states)[1]

        # Every given frame but the last only updates the state; the last is the first input of
        # the generating loop, whose every step writes a frame: the array is never empty (an
        # empty one of unknown batch cannot be stacked: a request for one frame failed).
        _, states = tf.while_loop(lambda t, *_: t < given - 1, observe, (tf.constant(0), self._zero_states(batch)))

        def generate(i, states, frame, out):
            frame, states = self._step(frame, states)
            frame = sharpened(frame, self.frame_temperature)
            return i + 1, states, frame, out.write(i, frame)

        # No branch inside the loop: tf2onnx mistranslates a transposed convolution inside a
        # cond. A static batch where the caller fixed one (a LiteRT export): its converter needs it.
        out = tf.TensorArray(tf.float32, size=num_frames, element_shape=(frames.shape[0], *self.frame_shape))
        out = tf.while_loop(lambda i, *_: i < num_frames, generate,
                            (tf.constant(0), states, frames[:, given - 1], out))[3]
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
            predicted, states = self._step(frame, states, training=training)
            target = frames[:, t + 1]
            bce.append(ops.sum(binary_cross_entropy(target, predicted), axis=(1, 2, 3)))
            mse.append(ops.sum(ops.square(predicted - target), axis=(1, 2, 3)))
            frame = sharpened(predicted, self.frame_temperature) if free and t + 1 >= self.observed_frames else target
        return ops.mean(ops.stack(bce)), ops.mean(ops.stack(mse))

    def train_step(self, data):
        """One optimizer step on a batch of clips' per-frame cross-entropy.

        After the first `observed_frames` the inputs are the model's own (sharpened)
        predictions when `training_mode` is "free_running", the true frames otherwise.

        Args:
            data: raw clips [batch, frames, h, w, c] with a fixed number (≥ 2) of frames, or
                a tuple whose first item they are.

        Returns:
            A dict: the logs, {"loss": binary cross-entropy, "mse": squared error}, each per
            frame (summed over its pixels), means so far this epoch.

        Raises:
            ValueError: the clips' frame count is unknown or below 2.
        """
        videos = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            loss, mse = self._clip_losses(videos, training=True)
            scaled = self.optimizer.scale_loss(self.per_replica(loss))
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.apply_gradients(self.optimizer, gradients, self.trainable_variables)
        return self._track(loss, mse)

    def test_step(self, data):
        """Tracks a batch of clips' per-frame cross-entropy and squared error.

        Args:
            data: raw clips [batch, frames, h, w, c] with a fixed number (≥ 2) of frames, or
                a tuple whose first item they are.

        Returns:
            A dict: the logs, {"loss": binary cross-entropy, "mse": squared error} per frame.

        Raises:
            ValueError: the clips' frame count is unknown or below 2.
        """
        videos = data[0] if isinstance(data, (tuple, list)) else data
        return self._track(*self._clip_losses(videos, training=False))

    def _track(self, loss, mse):
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(mse)
        return self.step_logs()

    # --- serving -----------------------------------------------------------------------------
    def litert_shapes(self):
        """The fixed input shapes of a LiteRT export: `observed_frames` frames per clip.

        Its ConvLSTM loop needs static shapes; the ONNX export takes any number.

        Returns:
            A dict: {"video": (1, observed_frames, h, w, c)}.
        """
        return {"video": (1, self.observed_frames, *self.frame_shape)}

    def onnx_shapes(self):
        """The input shapes of an ONNX export: one clip per call, any number of frames.

        With an open batch tf2onnx writes the frame loop's convolutions with attributes
        onnxruntime rejects.

        Returns:
            A dict: {"video": (1, None, h, w, c)}.
        """
        return {"video": (1, None, *self.frame_shape)}

    def serving_signatures(self):
        """The one endpoint `zoo.export` writes: `serving_default`.

        It takes a uint8 `video` [batch, k, h, w, c] and `num_frames` (at most
        `MAX_GENERATED_FRAMES`; batch × (k + num_frames) at most `MAX_REQUEST_FRAMES`) and
        gives the generated uint8 `frames`.

        Returns:
            A dict: {"serving_default": (function, [tf.TensorSpec, tf.TensorSpec])}.
        """
        video_spec = tf.TensorSpec((None, None, *self.frame_shape), tf.uint8, name="video")
        count_spec = tf.TensorSpec((), tf.int32, name="num_frames")
        most = self.MAX_REQUEST_FRAMES

        def predict(video, num_frames):
            video = self.checked(video, video_spec)
            num_frames = self.checked_count(num_frames, count_spec, self.MAX_GENERATED_FRAMES)
            size = tf.shape(video, out_type=tf.int64)
            video = self.checked_total(
                video, size[0] * (size[1] + tf.cast(num_frames, tf.int64)), most,
                f"video carries more than {most} frames (batch × (given + num_frames)): one request may carry at "
                f"most {most}; send fewer clips or ask for fewer frames per request")
            return {"frames": self.as_output(self.rollout(self._frames(video), num_frames), "uint8")}

        return {"serving_default": (predict, [video_spec, count_spec])}
