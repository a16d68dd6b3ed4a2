"""`lstm_gan_music`: an LSTM-GAN that composes piano rolls (four-part chorales) from a noise vector.

The generator is the one the articles describe (C-RNN-GAN, Mogren 2016, is the published
anchor; it feeds fresh noise at every step instead): z sets the LSTM's initial hidden and cell
state and is fed, beside the previous step's output, at every step; the discriminator is an
LSTM whose final state gives one real/fake logit. It is first
trained by maximum likelihood (teacher forcing, z = 0: an exact autoregressive model of the
rolls, the baseline), then adversarially from those weights."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from zoo.config import at_least, check_fields, in_unit_interval, one_of, positive
from zoo.models.base import ZooModel
from zoo.models.cells import CELLS, recurrent_cell, states_per_layer
from zoo.models.phases import PHASES, TwoPhaseGAN
from zoo.models.layers import MinibatchStd, ReadingLSTM, SpectralConv2D
from zoo.registry import register_model



def bar_positions(steps, bar_steps):
    """The one-hot position of each step in its bar: [steps, bar_steps] (steps start on a bar line).

    Args:
        steps: steps of the roll.
        bar_steps: steps per bar (16: a 4/4 bar of sixteenth notes).

    Returns:
        tf.Tensor: float32 [steps, bar_steps].

    Examples:
        >>> bar_positions(6, 4).numpy().argmax(axis=-1).tolist()
        [0, 1, 2, 3, 0, 1]
    """
    return ops.one_hot(ops.arange(steps) % bar_steps, bar_steps)


@keras.saving.register_keras_serializable(package="zoo")
class FrameGenerator(layers.Layer):
    """The generator: stacked LSTM cells that draw a piano roll one step (frame) at a time.

    z [batch, latent_dim] sets each layer's initial (h, c) through one dense layer (h through
    tanh, as an LSTM's own h is) and is the input of every step, beside the frame of the step
    before (silence before the first) and the step's position in its bar. The top layer's
    output gives one logit per pitch: the probability that the pitch sounds at the step.

    Teacher-forced (`logits`), the previous frames are given (maximum likelihood); free-running
    (`draw`), each step's frame is drawn from its probabilities and fed back.

    Args:
        pitches: pitches per frame.
        steps: frames per roll.
        bar_steps: steps per bar.
        latent_dim: size of z.
        units: units of each LSTM layer.
        num_layers: stacked LSTM layers.
        cell: the recurrent cells' kind: "lstm" (default; z sets h and c), "gru" or "rnn" (z
            sets h; `zoo.models.cells`).
        **kwargs: passed on to `keras.layers.Layer` (name, dtype).

    Examples:
        >>> generator = FrameGenerator(pitches=6, steps=8, bar_steps=4, latent_dim=3, units=5, num_layers=1)
        >>> generator.logits(ops.zeros((2, 3)), ops.zeros((2, 8, 6))).shape
        TensorShape([2, 8, 6])
        >>> generator.draw(ops.zeros((2, 3)), ops.full((2, 8, 6), 0.5)).shape
        TensorShape([2, 8, 6])
    """

    def __init__(self, pitches, steps, bar_steps, latent_dim, units, num_layers, cell="lstm", **kwargs):
        super().__init__(**kwargs)
        self.pitches, self.steps, self.bar_steps = pitches, steps, bar_steps
        self.latent_dim, self.units, self.num_layers = latent_dim, units, num_layers
        self.cell, self.per_layer = cell, states_per_layer(cell)
        # z's paths start at zero: the maximum-likelihood phase trains with z = 0, so the
        # adversarial phase starts from exactly its model and z's influence grows from nothing
        # (random paths from z would first scramble the trained network).
        self.initial = layers.Dense(self.per_layer * units * num_layers, kernel_initializer="zeros",
                                    name="initial_states")
        self.cells = [recurrent_cell(cell, units, name=f"{cell}_{i}") for i in range(num_layers)]
        self.to_frame = layers.Dense(pitches, dtype="float32", name="frame")  # float32 logits under mixed precision
        self.build((None, latent_dim))

    def build(self, input_shape):
        """Builds the initial-state layer, the LSTM cells and the readout.

        Args:
            input_shape: z's shape, [batch, latent_dim].
        """
        self.initial.build((None, self.latent_dim))
        size = self.latent_dim + self.pitches + self.bar_steps
        for cell in self.cells:
            cell.build((None, size))
            size = self.units
        first = self.cells[0].kernel
        first.assign(ops.concatenate([ops.zeros((self.latent_dim, first.shape[1])), first[self.latent_dim:]]))
        self.to_frame.build((None, self.units))
        self.built = True

    def _start(self, z):
        x = self.initial(z)
        states, k, units = [], self.per_layer, self.units
        for i in range(self.num_layers):
            layer_states = [ops.tanh(x[:, k * i * units:(k * i + 1) * units])]  # h
            if k == 2:  # an LSTM's c
                layer_states.append(x[:, (k * i + 1) * units:(k * i + 2) * units])
            states.append(layer_states)
        return states

    def _step(self, z, previous, position, states, training):
        position = ops.broadcast_to(position, (ops.shape(z)[0], self.bar_steps))
        x = ops.concatenate([z, ops.cast(previous, z.dtype), position], axis=-1)
        for i, cell in enumerate(self.cells):
            x, states[i] = cell(x, states[i], training=training)
            states[i] = list(states[i])
        return self.to_frame(x)

    def logits(self, z, frames, training=False):
        """Teacher forcing: the logits of every frame given the frames before it.

        Args:
            z: [batch, latent_dim].
            frames: the rolls, [batch, steps, pitches] of 0 and 1.
            training: passed on to the LSTM cells.

        Returns:
            tf.Tensor: float32 logits [batch, steps, pitches]: step t's from frames 0 … t − 1.
        """
        frames = ops.cast(frames, "float32")
        positions = bar_positions(self.steps, self.bar_steps)
        states = self._start(z)
        previous = ops.zeros_like(frames[:, 0])
        out = []
        for t in range(self.steps):
            out.append(self._step(z, previous, positions[t], states, training))
            previous = frames[:, t]
        return ops.stack(out, axis=1)

    def draw(self, z, thresholds, temperature=0.5, training=False):
        """Free-running: a roll drawn frame by frame, each frame fed back to the next step.

        A pitch sounds where its probability p is above its threshold: uniform thresholds draw
        from the model's distribution, 0.5 gives its most likely notes. The frames are 0 and 1,
        but carry the gradient of the binary concrete relaxation (Maddison et al. 2017)
        sigmoid((logit − logit(threshold)) / `temperature`): the straight-through
        Gumbel estimator, which credits most the notes whose draw was close.

        Args:
            z: [batch, latent_dim].
            thresholds: [batch, steps, pitches] in [0, 1].
            temperature: the relaxation's temperature (the gradient only).
            training: passed on to the LSTM cells.

        Returns:
            tf.Tensor: float32 rolls [batch, steps, pitches] of 0 and 1.
        """
        positions = bar_positions(self.steps, self.bar_steps)
        states = self._start(z)
        previous = ops.zeros((ops.shape(z)[0], self.pitches), dtype="float32")
        thresholds = ops.clip(ops.cast(thresholds, "float32"), 1e-6, 1.0 - 1e-6)
        frames = []
        for t in range(self.steps):
            logits = self._step(z, previous, positions[t], states, training)
            u = thresholds[:, t]
            hard = ops.cast(ops.sigmoid(logits) > u, "float32")
            soft = ops.sigmoid((logits - ops.log(u / (1.0 - u))) / temperature)
            previous = soft + ops.stop_gradient(hard - soft)
            frames.append(previous)
        return ops.stack(frames, axis=1)

    def get_config(self):
        """The layer's constructor arguments, for `from_config`.

        Returns:
            dict: Keras' layer config plus pitches, steps, bar_steps, latent_dim, units,
                num_layers and cell.
        """
        return {**super().get_config(), "pitches": self.pitches, "steps": self.steps, "bar_steps": self.bar_steps,
                "latent_dim": self.latent_dim, "units": self.units, "num_layers": self.num_layers, "cell": self.cell}


def music_discriminator(steps, pitches, bar_steps, units, bidirectional, spectral_norm, minibatch_std=True,
                        name="discriminator", cell="lstm"):
    """The LSTM discriminator: rolls [batch, steps, pitches] → one real/fake logit.

    An LSTM reads the frames (beside each step's position in its bar), forwards and, when
    `bidirectional`, backwards too; its final outputs (the last step's forwards, the first
    step's backwards) give the logit, as C-RNN-GAN's discriminator does.

    Args:
        steps: frames per roll.
        pitches: pitches per frame.
        bar_steps: steps per bar.
        units: LSTM units (per direction).
        bidirectional: also read the roll backwards.
        spectral_norm: divide the LSTMs' and the readout's kernels by their largest singular
            value (Miyato et al. 2018).
        minibatch_std: give the readout the spread of its features across each group of 4
            rolls (ProGAN), against a generator that ignores z. Default: True.
        name: the Keras model's name. Default: "discriminator".
        cell: the readers' kind: "lstm" (default), "gru" or "rnn" (`ReadingLSTM`).

    Returns:
        keras.Model: rolls [batch, steps, pitches] (float, 0 … 1) → logits [batch, 1], float32.

    Examples:
        >>> discriminator = music_discriminator(8, 6, 4, units=5, bidirectional=True, spectral_norm=True)
        >>> discriminator.input_shape, discriminator.output_shape
        ((None, 8, 6), (None, 1))
    """
    rolls = keras.Input((steps, pitches), name="rolls")
    x = WithBarPositions(bar_steps, name="bar_positions")(rolls)
    forwards = ReadingLSTM(units, spectral_norm=spectral_norm, cell=cell, name=cell)(x)
    features = layers.Lambda(lambda h: h[:, -1], name="last_step")(forwards)
    if bidirectional:
        backwards = ReadingLSTM(units, reverse=True, spectral_norm=spectral_norm, cell=cell, name=f"{cell}_reverse")(x)
        first = layers.Lambda(lambda h: h[:, 0], name="first_step")(backwards)
        features = layers.Concatenate(name="both_ways")([features, first])
    if minibatch_std:
        features = MinibatchStd(name="minibatch_std")(features)
    dense = SpectralConv2D if spectral_norm else layers.Dense  # dense on [batch, features]; see SpectralConv2D
    return keras.Model(rolls, dense(1, dtype="float32", name="logit")(features), name=name)


@keras.saving.register_keras_serializable(package="zoo")
class WithBarPositions(layers.Layer):
    """[batch, steps, pitches] → [batch, steps, pitches + bar_steps]: each frame beside its place in the bar.

    Args:
        bar_steps: steps per bar.
        **kwargs: passed on to `keras.layers.Layer`.

    Examples:
        >>> WithBarPositions(4)(ops.zeros((2, 8, 6))).shape
        TensorShape([2, 8, 10])
    """

    def __init__(self, bar_steps, **kwargs):
        super().__init__(**kwargs)
        self.bar_steps = bar_steps

    def call(self, rolls):
        """Appends the one-hot position in the bar to each frame.

        Args:
            rolls: [batch, steps, pitches]; the number of steps must be static.

        Returns:
            tf.Tensor: [batch, steps, pitches + bar_steps].
        """
        rolls = ops.cast(rolls, self.compute_dtype)
        steps = rolls.shape[1]
        positions = ops.cast(bar_positions(steps, self.bar_steps), rolls.dtype)[None]
        return ops.concatenate([rolls, ops.broadcast_to(positions, (ops.shape(rolls)[0], steps, self.bar_steps))], -1)

    def compute_output_shape(self, input_shape):
        """(batch, steps, pitches + bar_steps) for inputs of `input_shape`.

        Args:
            input_shape: (batch, steps, pitches).

        Returns:
            tuple: the output's shape.
        """
        return (*input_shape[:-1], input_shape[-1] + self.bar_steps)

    def get_config(self):
        """The layer's constructor arguments.

        Returns:
            dict: Keras' layer config plus bar_steps.
        """
        return {**super().get_config(), "bar_steps": self.bar_steps}


@register_model(
    "lstm_gan_music",
    task="music generation (GAN)",
    dataset="bach_chorales",
    recipe="recipes.lstm_gan_music.recipe",
    metric="discriminative_score",
)
class LSTMGANMusic(TwoPhaseGAN, ZooModel):
    """An LSTM-GAN that composes piano rolls from a noise vector: four bars of a chorale at a time.

    A roll is [steps, pitches] of 0 and 1, a 1 where a pitch sounds during a step (a sixteenth
    note by default; `zoo.data.music`). The generator (`FrameGenerator`) draws it step by step:
    z sets the LSTM's initial state and is fed at every step beside the frame before; each
    pitch of a step sounds where its probability is above a threshold, uniform draws in
    [0, 1) for the model's own distribution. The discriminator is an LSTM read of the roll
    (`music_discriminator`).

    Training has two phases (`phase`, switched by `set_phase`, also between epochs of one
    `fit`): "mle", maximum likelihood with teacher forcing and z = 0 (an exact autoregressive
    model of the rolls: `nll_per_frame`); then "adversarial", from those weights: one
    discriminator update and one generator update per step, each with its own optimizer,
    the generator's gradient through its drawn notes by the straight-through Gumbel estimator, plus
    `mle_weight` times its likelihood loss. A model in the "mle" phase draws with z = 0 (it
    was trained so); an adversarial one with z ~ N(0, I).

    `sample(n, seed)` gives uint8 rolls; `generate(latent, note_thresholds)` the roll of given
    inputs; `zoo.data.music.piano_roll_to_midi` writes one as a MIDI file.

    Args:
        pitches: pitches per frame (the roll's width: 46, MIDI 36 … 81, for the chorales).
        steps: frames per roll (64: four 4/4 bars of sixteenth notes).
        bar_steps: steps per bar; rolls start on a bar line and every step is told its place
            in the bar.
        pitch_low: the MIDI pitch of the roll's first column (for MIDI files).
        steps_per_quarter: steps per quarter note (4: sixteenth notes; for MIDI files).
        latent_dim: size of the noise vector z.
        units: units of each of the generator's LSTM layers.
        num_layers: the generator's stacked LSTM layers.
        d_units: units of the discriminator's LSTM (per direction).
        bidirectional: the discriminator also reads the roll backwards.
        spectral_norm: divide each of the discriminator's kernels by its largest singular value.
        minibatch_std: give the discriminator the spread of its features across each group of
            4 rolls (ProGAN), against a generator that ignores z.
        phase: the training phase, "mle" or "adversarial".
        mle_weight: weight of the generator's likelihood loss (nats per frame) beside its
            adversarial loss in the adversarial phase (0: none).
        label_smoothing: one-sided: real labels become 1 − this for the discriminator.
        relaxation_temperature: temperature of the binary concrete relaxation whose gradient
            the generator's drawn notes carry in the adversarial phase (`FrameGenerator.draw`).
        seed: seed of the noise and note draws (None: Keras' global seed).
        cell: the recurrent layers' kind, in the generator and the discriminator: "lstm"
            (default, as the shipped weights are), "gru" or "rnn" (a plain tanh RNN;
            `zoo.models.cells`).
        **kwargs: passed on to `keras.Model` (e.g. `name`).

    Raises:
        zoo.ConfigError: if a field fails its check (`FIELD_CHECKS`).

    Attributes:
        FIELD_CHECKS: the checks of the constructor's fields (`zoo.config`).
        MAX_SAMPLES: the most rolls one request to the exported `sample` signature may ask for.
        generator: the `FrameGenerator`.
        discriminator: the discriminator network.

    Examples:
        >>> gan = LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4)
        >>> rolls = gan.sample(3, seed=0)
        >>> rolls.shape, rolls.dtype, sorted(set(rolls.numpy().ravel().tolist())) <= [0, 1]
        (TensorShape([3, 16, 46]), tf.uint8, True)
    """

    FIELD_CHECKS = dict(pitches=at_least(1), steps=at_least(1), bar_steps=at_least(1), pitch_low=at_least(0),
                        steps_per_quarter=at_least(1), latent_dim=at_least(1), units=at_least(1),
                        num_layers=at_least(1), d_units=at_least(1), phase=one_of(*PHASES), mle_weight=at_least(0),
                        label_smoothing=in_unit_interval, relaxation_temperature=positive, cell=one_of(*CELLS))
    MAX_SAMPLES = 1_000  # most rolls one request to the exported `sample` signature may draw
    SERVING_EXAMPLES = {"sample": {"num_pieces": 2, "seed": 7}}
    NOT_PORTABLE = {"sample": "no: random draws from a run-time seed, which neither format can express (draw the "
                              "latent and the note thresholds yourself and call serving_default)"}

    def __init__(self, pitches=46, steps=64, bar_steps=16, pitch_low=36, steps_per_quarter=4, latent_dim=32, units=256,
                 num_layers=1, d_units=128, bidirectional=True, spectral_norm=False, minibatch_std=True, phase="mle",
                 mle_weight=0.0, label_smoothing=0.0, relaxation_temperature=0.5, seed=None, cell="lstm", **kwargs):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        self.pitches, self.steps, self.bar_steps = int(pitches), int(steps), int(bar_steps)
        self.pitch_low, self.steps_per_quarter = int(pitch_low), int(steps_per_quarter)
        self.latent_dim, self.units, self.num_layers = int(latent_dim), int(units), int(num_layers)
        self.d_units, self.bidirectional = int(d_units), bool(bidirectional)
        self.spectral_norm, self.minibatch_std = bool(spectral_norm), bool(minibatch_std)
        self.mle_weight, self.label_smoothing = float(mle_weight), float(label_smoothing)
        self.relaxation_temperature = float(relaxation_temperature)
        self.seed = seed
        self.cell = cell
        self.generator = FrameGenerator(self.pitches, self.steps, self.bar_steps, self.latent_dim, self.units,
                                        self.num_layers, cell=cell, name="generator")
        self.discriminator = music_discriminator(self.steps, self.pitches, self.bar_steps, self.d_units,
                                                 self.bidirectional, self.spectral_norm, self.minibatch_std, cell=cell)
        self.init_phase(phase)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.nll_tracker = keras.metrics.Mean(name="nll")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_accuracy = keras.metrics.BinaryAccuracy(name="d_real_accuracy", threshold=0.0)
        self.fake_accuracy = keras.metrics.BinaryAccuracy(name="d_fake_accuracy", threshold=0.0)
        self.build((None, self.latent_dim))

    def build(self, input_shape):
        """Does nothing: both sub-networks are built at construction.

        Args:
            input_shape: the latent vectors' shape (Keras passes it; unused).
        """
        self.built = True

    def get_config(self):
        """The constructor's fields, for `from_config` and a `.keras` file.

        Returns:
            dict: `keras.Model`'s config plus every constructor field.
        """
        return {**super().get_config(), "pitches": self.pitches, "steps": self.steps, "bar_steps": self.bar_steps,
                "pitch_low": self.pitch_low, "steps_per_quarter": self.steps_per_quarter, "latent_dim": self.latent_dim,
                "units": self.units, "num_layers": self.num_layers, "d_units": self.d_units,
                "bidirectional": self.bidirectional,
                "spectral_norm": self.spectral_norm, "minibatch_std": self.minibatch_std, "phase": self.phase,
                "mle_weight": self.mle_weight, "label_smoothing": self.label_smoothing,
                "relaxation_temperature": self.relaxation_temperature, "seed": self.seed, "cell": self.cell}

    def default_optimizers(self):
        """The optimizers `compile` uses when it is given none.

        Returns:
            tuple: Adam(1e-3) for the generator, Adam(1e-3, β1 = 0.5) for the discriminator.

        Examples:
            >>> g, d = LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4).default_optimizers()
            >>> float(g.beta_1), float(d.beta_1)
            (0.9, 0.5)
        """
        return keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3, beta_1=0.5)

    @property
    def metrics(self):
        """The metrics Keras resets each epoch.

        Returns:
            list: `nll` (nats per frame), `d_loss`, `g_loss`, and the discriminator's accuracy
                on real and on drawn rolls.
        """
        return [self.nll_tracker, self.d_loss_tracker, self.g_loss_tracker, self.real_accuracy, self.fake_accuracy]

    # -- the model as a distribution -----------------------------------------------------------
    def _latent(self, n, seed=None):
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator if seed is None else seed)
        return z * ops.cast(self.adversarial_phase, z.dtype)  # z = 0 for a maximum-likelihood model

    def nll_per_frame(self, rolls, training=False):
        """The negative log-likelihood of each roll under the teacher-forced generator, z = 0.

        The mean over the roll's steps of −log p(frame | frames before), in nats, each frame's
        pitches independent Bernoulli given the past: the polyphonic-music measure
        (Boulanger-Lewandowski et al. 2012). Exact for a model of the "mle" phase; for
        adversarially trained weights it is the z = 0 slice's, not the GAN's.

        Args:
            rolls: [batch, steps, pitches] of 0 and 1 (any numeric dtype).
            training: passed on to the LSTM cells.

        Returns:
            tf.Tensor: float32 [batch], nats per frame.

        Examples:
            >>> gan = LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4)
            >>> gan.nll_per_frame(np.zeros((2, 16, 46), "uint8")).shape
            TensorShape([2])
        """
        rolls = ops.cast(self.expect_shape(rolls, (None, self.steps, self.pitches), "piano rolls"), "float32")
        z = ops.zeros((ops.shape(rolls)[0], self.latent_dim))
        logits = self.generator.logits(z, rolls, training=training)
        return ops.mean(ops.sum(ops.binary_crossentropy(rolls, logits, from_logits=True), axis=-1), axis=-1)

    def call(self, inputs, training=False):
        """(latent, note thresholds) → rolls in {0, 1}, float32; latent alone: thresholds of 0.5.

        Args:
            inputs: latent vectors [batch, latent_dim], or a pair (latent vectors, thresholds
                [batch, steps, pitches]).
            training: unused.

        Returns:
            tf.Tensor: float32 [batch, steps, pitches] of 0 and 1.
        """
        latent, thresholds = inputs if isinstance(inputs, (tuple, list)) else (inputs, None)
        latent = ops.cast(self.expect_shape(latent, (None, self.latent_dim), "latent vectors"), "float32")
        if thresholds is None:
            thresholds = ops.full((ops.shape(latent)[0], self.steps, self.pitches), 0.5)
        thresholds = ops.cast(self.expect_shape(thresholds, (None, self.steps, self.pitches), "note thresholds"),
                              "float32")
        return ops.stop_gradient(self.generator.draw(latent, thresholds))

    def generate(self, latent, note_thresholds=None):
        """The roll of given inputs: a pitch sounds where its probability is above its threshold.

        Uniform thresholds in [0, 1) draw from the model's distribution; 0.5 everywhere (None,
        the default) gives its most likely notes, step by step.

        Args:
            latent: [batch, latent_dim] (z; zeros for a model of the "mle" phase).
            note_thresholds: [batch, steps, pitches] in [0, 1], or None.

        Returns:
            tf.Tensor: uint8 rolls [batch, steps, pitches] of 0 and 1.

        Raises:
            ValueError: if an input's shape is wrong.

        Examples:
            >>> gan = LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4)
            >>> gan.generate(np.zeros((2, 4), "float32")).shape
            TensorShape([2, 16, 46])
        """
        return ops.cast(self((latent, note_thresholds) if note_thresholds is not None else latent), "uint8")

    def sample(self, n, seed=None):
        """`n` rolls drawn from the model: z ~ N(0, I) (0 for an "mle" model) and every note drawn.

        Args:
            n: how many rolls.
            seed: an int seed, so the same rolls come again; None (the default): the model's
                own seed generator, which moves on with every draw.

        Returns:
            tf.Tensor: uint8 rolls [n, steps, pitches] of 0 and 1.

        Examples:
            >>> gan = LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4)
            >>> bool((gan.sample(2, seed=1) == gan.sample(2, seed=1)).numpy().all())
            True
        """
        if isinstance(seed, int):
            seed = keras.random.SeedGenerator(seed)  # two draws from one fixed seed
        generator = self.seed_generator if seed is None else seed
        z = self._latent(n, generator)
        thresholds = keras.random.uniform((n, self.steps, self.pitches), seed=generator)
        return self.generate(z, thresholds)

    def write_samples(self, samples, output, prefix="sample"):
        """Writes rolls as music: a MIDI file and a WAV file each, and one picture of them all.

        In the folder `output`: `<prefix>-000.mid` (`zoo.data.music.piano_roll_to_midi`),
        `<prefix>-000.wav` (`piano_roll_to_wav`: sine tones, no synthesiser needed), ..., and
        `<prefix>.png`, the rolls drawn; where `output` ends in `.png`, the picture alone.

        Args:
            samples: uint8 rolls [n, steps, pitches] (what `sample` gives).
            output: a folder, or a `.png` file.
            prefix: the files' name before their number.

        Returns:
            list: the paths written.

        Examples:
            >>> import pathlib, tempfile
            >>> gan = LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4)
            >>> paths = gan.write_samples(gan.sample(2, seed=0), pathlib.Path(tempfile.mkdtemp()))
            >>> [p.name for p in paths]
            ['sample-000.mid', 'sample-000.wav', 'sample-001.mid', 'sample-001.wav', 'sample.png']
        """
        from pathlib import Path

        from zoo import plots
        from zoo.data import music

        rolls, output = np.asarray(samples), Path(output)
        picture = output if output.suffix.lower() == ".png" else output / f"{prefix}.png"
        written = []
        if picture is not output:
            for i, roll in enumerate(rolls):
                grid = dict(low=self.pitch_low, steps_per_quarter=self.steps_per_quarter)
                written.append(music.piano_roll_to_midi(roll, output / f"{prefix}-{i:03d}.mid", **grid))
                written.append(music.piano_roll_to_wav(roll, output / f"{prefix}-{i:03d}.wav", **grid))
        plots.save_piano_rolls({"samples": rolls[:8]}, picture, pitch_low=self.pitch_low,
                               title=f"{len(rolls)} rolls" + (" (the first 8)" if len(rolls) > 8 else ""))
        return written + [picture]

    # -- training -----------------------------------------------------------------------------
    def train_step(self, data):
        """One step of the traced phase: maximum likelihood, or adversarial.

        Args:
            data: rolls [batch, steps, pitches] (0 and 1), or a tuple whose first item they are.

        Returns:
            dict: the logs (`step_logs`).
        """
        real = ops.cast(data[0] if isinstance(data, (tuple, list)) else data, "float32")
        if self._traced_phase == "adversarial":
            self._adversarial_step(real)
        else:
            with tf.GradientTape() as tape:
                nll = ops.mean(self.nll_per_frame(real, training=True))
                scaled = self.per_replica(nll)
            grads = tape.gradient(scaled, self.generator.trainable_variables)
            self.apply_gradients(self.g_optimizer, grads, self.generator.trainable_variables)
            self.nll_tracker.update_state(nll)
        return self.step_logs()

    def _adversarial_step(self, real):
        batch = ops.shape(real)[0]
        z = self.replica_rows(lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator), batch)
        thresholds = self.replica_rows(
            lambda n: keras.random.uniform((n, self.steps, self.pitches), seed=self.seed_generator), batch)
        with tf.GradientTape() as g_tape:
            fake = self.generator.draw(z, thresholds, self.relaxation_temperature, training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    logits = self.discriminator(ops.concatenate([real, ops.stop_gradient(fake)]), training=True)
                    real_logits, fake_logits = logits[:batch], logits[batch:]
                    real_labels = ops.ones_like(real_logits) * (1.0 - self.label_smoothing)
                    d_loss = ops.mean(keras.losses.binary_crossentropy(real_labels, real_logits, from_logits=True)) + \
                        ops.mean(keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits,
                                                                  from_logits=True))
                    scaled = self.per_replica(d_loss)
                grads = d_tape.gradient(scaled, self.discriminator.trainable_variables)
                self.apply_gradients(self.d_optimizer, grads, self.discriminator.trainable_variables)
            judged = self.discriminator(fake, training=True)
            # non-saturating: maximise log D(G(z)) rather than minimise log(1 − D(G(z)))
            g_loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(judged), judged, from_logits=True))
            nll = ops.mean(self.nll_per_frame(real, training=True))
            total = g_loss + self.mle_weight * nll if self.mle_weight else g_loss
            scaled = self.per_replica(total)
        grads = g_tape.gradient(scaled, self.generator.trainable_variables)
        self.apply_gradients(self.g_optimizer, grads, self.generator.trainable_variables)
        self.nll_tracker.update_state(nll)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_accuracy.update_state(ops.ones_like(real_logits), real_logits)
        self.fake_accuracy.update_state(ops.zeros_like(fake_logits), fake_logits)

    def test_step(self, data):
        """Tracks the mean NLL per frame of the batch's rolls (z = 0).

        Args:
            data: rolls [batch, steps, pitches], or a tuple whose first item they are.

        Returns:
            dict: {"nll": the mean NLL in nats per frame}.
        """
        real = data[0] if isinstance(data, (tuple, list)) else data
        self.nll_tracker.update_state(ops.mean(self.nll_per_frame(real)))
        return self.step_logs([self.nll_tracker])

    # -- serving ------------------------------------------------------------------------------
    def request_limits(self):
        """How large one request may be: `serving_default` draws at most as many rolls as `sample`.

        Returns:
            dict: {endpoint: {input name: {axis: the most it may hold}}}.

        Examples:
            >>> LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4).request_limits()["serving_default"]
            {'latent': {0: 1000}, 'note_thresholds': {0: 1000}}
        """
        most = {0: self.MAX_SAMPLES}
        return {**super().request_limits(), "serving_default": {"latent": most, "note_thresholds": most}}

    def litert_shapes(self):
        """A LiteRT export's fixed shapes: one roll at a time.

        Returns:
            dict: {"note_thresholds": (1, steps, pitches)}.
        """
        return {"note_thresholds": (1, self.steps, self.pitches)}

    def serving_signatures(self):
        """The endpoints `zoo.export` writes: `serving_default` and `sample`.

        `serving_default` takes `latent` (float32 [batch, latent_dim]) and `note_thresholds`
        (float32 [batch, steps, pitches], in [0, 1]: uniform draws for the model's
        distribution, 0.5 for its most likely notes) and returns `piano_roll` (uint8 [batch,
        steps, pitches] of 0 and 1); `sample` takes `num_pieces` (int32, 1 … `MAX_SAMPLES`)
        and `seed` (int32) and draws both itself.

        Returns:
            dict: {endpoint name: (function, [tf.TensorSpec, ...])}.

        Examples:
            >>> import tensorflow as tf
            >>> gan = LSTMGANMusic(steps=16, latent_dim=4, units=8, d_units=4)
            >>> sample, specs = gan.serving_signatures()["sample"]
            >>> [spec.name for spec in specs], sample(tf.constant(2), tf.constant(0))["piano_roll"].shape
            (['num_pieces', 'seed'], TensorShape([2, 16, 46]))
        """
        latent_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="latent")
        thresholds_spec = tf.TensorSpec((None, self.steps, self.pitches), tf.float32, name="note_thresholds")
        count_spec = tf.TensorSpec((), tf.int32, name="num_pieces")
        seed_spec = tf.TensorSpec((), tf.int32, name="seed")

        def generate(latent, note_thresholds):
            latent = self.checked(latent, latent_spec)
            note_thresholds = self.checked(note_thresholds, thresholds_spec)
            same = tf.debugging.assert_equal(tf.shape(latent)[0], tf.shape(note_thresholds)[0],
                                             message="latent and note_thresholds must hold the same number of pieces")
            with tf.control_dependencies([same]):
                return {"piano_roll": self.generate(latent, note_thresholds)}

        def sample(num_pieces, seed):
            num_pieces = self.checked_count(num_pieces, count_spec, self.MAX_SAMPLES)
            seed = self.checked(seed, seed_spec)
            z = tf.random.stateless_normal(tf.stack([num_pieces, self.latent_dim]), seed=tf.stack([seed, 0]))
            z = z * tf.cast(self.adversarial_phase, tf.float32)
            thresholds = tf.random.stateless_uniform(tf.stack([num_pieces, self.steps, self.pitches]),
                                                     seed=tf.stack([seed, 1]))
            return {"piano_roll": self.generate(z, thresholds)}

        return {"serving_default": (generate, [latent_spec, thresholds_spec]),
                "sample": (sample, [count_spec, seed_spec])}
