"""`lstm_gan_text`: an LSTM generator of token sequences and an LSTM discriminator.

Trained by maximum likelihood, then adversarially (Gumbel-softmax as RelGAN, or REINFORCE as
SeqGAN)."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.config import at_least, check, check_fields, one_of, positive
from zoo.errors import ConfigError
from zoo.data.text import Tokenizer
from zoo.models.base import ZooModel
from zoo.models.cells import CELLS
from zoo.models.phases import PHASES, TwoPhaseGAN
from zoo.models.text_adversarial import adversarial_step
from zoo.models.text_networks import gumbel_rollout, teacher_forced_logits, text_discriminator, text_generator
from zoo.registry import register_model

ESTIMATORS = ("gumbel", "reinforce", "rollout")



def _check_temperature(temperature):
    """A sampling temperature given as a Python number must be positive (a tensor is the exported
    signature's, which checks its own)."""
    if isinstance(temperature, (int, float)):
        check("temperature", temperature, positive)

@register_model(
    "lstm_gan_text",
    task="text generation (GAN)",
    dataset="tiny_shakespeare",
    recipe="recipes.lstm_gan_text.recipe",
    metric="test_nll",
)
class LSTMGANText(TwoPhaseGAN, ZooModel):
    """LSTM text GAN: an LSTM generator of token sequences against an LSTM discriminator.

    `call(tokens)` gives the generator's next-token probabilities (teacher forcing: position t
    sees the start token and tokens[:t]); `sample(n)` draws token ids; `generate_text(n)`
    returns strings. Training has two phases, both through `fit`: `phase="mle"` maximises the
    likelihood of real sequences, `phase="adversarial"` trains against the discriminator.
    Discrete samples have no gradient: the generator learns through a Gumbel-softmax relaxation
    ("gumbel", RelGAN) or REINFORCE ("reinforce" with one reward per sequence, "rollout" with
    one per token, SeqGAN); `zoo.models.text_adversarial` describes the three estimators.

    Args:
        vocabulary: the tokens, in id order (characters or words; `"<unk>"` is the id that
            unknown prompt tokens map to, when present).
        sequence_length: tokens per training sequence and default length of samples.
        token_separator: "" for characters, " " for words: how text splits into tokens and
            tokens join into text (`zoo.data.text.Tokenizer`, shared with the training data).
        embedding_dim: the generator's token embedding size.
        hidden_dim: the generator's LSTM units.
        discriminator_dim: embedding and LSTM size of the discriminator.
        bidirectional: a bidirectional discriminator LSTM.
        phase: "mle" or "adversarial" (see above); switch with `set_phase`.
        estimator: "gumbel", "reinforce" or "rollout", the adversarial gradient.
        rollouts: completions per prefix of the "rollout" estimator (SeqGAN: 16).
        discriminator_steps: discriminator updates per generator update in the adversarial
            phase, each on newly drawn samples (against the same real batch).
        max_inverse_temperature: Gumbel-softmax inverse temperature reached after annealing.
        anneal_steps: adversarial steps over which it rises (exponentially, as RelGAN).
        seed: seed of the sampling noise (None: Keras' global seed).
        cell: the recurrent layers' kind, in the generator and the discriminator: "lstm"
            (default, as the shipped weights are), "gru" or "rnn" (a plain tanh RNN: the
            articles' RNN-GAN; `zoo.models.cells`).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
        zoo.ConfigError: a field fails its check (a size, `sequence_length`, `rollouts`,
            `anneal_steps` or `discriminator_steps` below 1, `max_inverse_temperature` not
            positive, an unknown `phase` or `estimator`).
        ValueError: `vocabulary` holds fewer than 2 tokens, or a token twice.

    Examples:
        >>> import zoo
        >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), sequence_length=5,
        ...                embedding_dim=4, hidden_dim=4, discriminator_dim=4)
        >>> gan.sample(2).shape
        TensorShape([2, 5])
        >>> len(gan.generate_text(3, seed=0)), gan.phase
        (3, 'mle')
    """

    FIELD_CHECKS = dict(sequence_length=at_least(1), embedding_dim=at_least(1), hidden_dim=at_least(1),
                        discriminator_dim=at_least(1), phase=one_of(*PHASES), estimator=one_of(*ESTIMATORS),
                        max_inverse_temperature=positive, anneal_steps=at_least(1), rollouts=at_least(1),
                        discriminator_steps=at_least(1), cell=one_of(*CELLS))
    MAX_SEQUENCES = 1_000  # most sequences one request to the exported `generate` signature may ask for
    SERVING_EXAMPLES = {"serving_default": {"tokens": [[1, 2, 3, 4]]},
                        "generate": {"num_sequences": 2, "max_length": 40, "temperature": 0.8, "seed": 1,
                                     "prompt": "ROMEO:"}}
    NOT_PORTABLE = {"generate": "no: strings in and out (a TensorFlow lookup table) and random draws from a run-time "
                                "seed; call serving_default (next-token probabilities) in your own sampling loop"}
    MAX_LENGTH = 1_000  # most tokens one such request may ask for

    def __init__(self, vocabulary=("a", "b"), sequence_length=64, token_separator="", embedding_dim=64,
                 hidden_dim=256, discriminator_dim=64, bidirectional=False, phase="mle", estimator="gumbel",
                 max_inverse_temperature=100.0, anneal_steps=2000, rollouts=16, discriminator_steps=1, seed=None,
                 cell="lstm", **kwargs):
        check_fields(type(self), locals())
        super().__init__(**kwargs)
        vocabulary = [str(t) for t in vocabulary]
        if len(vocabulary) < 2 or len(set(vocabulary)) != len(vocabulary):
            raise ValueError(f"vocabulary must hold at least 2 distinct tokens, got {len(vocabulary)} "
                             f"({len(set(vocabulary))} distinct).")
        self.vocabulary = vocabulary
        self.vocab_size = len(vocabulary)
        self.sequence_length = int(sequence_length)
        self.token_separator = token_separator
        self.tokenizer = Tokenizer(vocabulary, token_separator)  # tracked: an export carries its table
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.discriminator_dim = discriminator_dim
        self.bidirectional = bidirectional
        self.init_phase(phase)
        self.estimator = estimator
        self.max_inverse_temperature = float(max_inverse_temperature)
        self.anneal_steps = int(anneal_steps)
        self.rollouts = int(rollouts)
        self.discriminator_steps = int(discriminator_steps)
        self.seed = seed
        self.cell = cell
        self.generator = text_generator(self.vocab_size, embedding_dim, hidden_dim, cell=cell)
        self.discriminator = text_discriminator(self.vocab_size, discriminator_dim, discriminator_dim, bidirectional,
                                                cell=cell)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.adversarial_steps = keras.Variable(0, dtype="int64", trainable=False, name="adversarial_steps")
        self.reward_baseline = keras.Variable(0.5, dtype="float32", trainable=False, name="reward_baseline")
        self.nll_tracker = keras.metrics.Mean(name="nll")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.build((None, self.sequence_length))

    def build(self, input_shape):
        """Does nothing: both functional sub-networks are built at construction.

        Args:
            input_shape: unused.
        """
        pass  # both functional sub-networks are built at construction

    def get_config(self):
        """The constructor fields, for a `.keras` round trip (`phase` as it is now).

        Returns:
            A dict: `keras.Model`'s config plus every constructor field.
        """
        return {**super().get_config(), "vocabulary": list(self.vocabulary), "sequence_length": self.sequence_length,
                "token_separator": self.token_separator, "embedding_dim": self.embedding_dim,
                "hidden_dim": self.hidden_dim, "discriminator_dim": self.discriminator_dim,
                "bidirectional": self.bidirectional, "phase": self.phase, "estimator": self.estimator,
                "max_inverse_temperature": self.max_inverse_temperature, "anneal_steps": self.anneal_steps,
                "rollouts": self.rollouts, "discriminator_steps": self.discriminator_steps, "seed": self.seed,
                "cell": self.cell}

    def default_optimizers(self):
        """The optimizers `compile` uses when it is given none.

        Adam(1e-3) for the generator and Adam(1e-4) for the discriminator, both with gradients
        clipped to norm 5 (RelGAN used 1e-4 for both in the adversarial phase; maximum
        likelihood likes 1e-3).

        Returns:
            tuple: (generator's optimizer, discriminator's optimizer).

        Examples:
            >>> import zoo
            >>> g, d = zoo.load("lstm_gan_text", vocabulary=list("ab"), embedding_dim=4, hidden_dim=4,
            ...                 discriminator_dim=4).default_optimizers()
            >>> round(float(g.learning_rate), 6), float(d.learning_rate) < 1e-3, g.clipnorm
            (0.001, True, 5.0)
        """
        return keras.optimizers.Adam(1e-3, clipnorm=5.0), keras.optimizers.Adam(1e-4, clipnorm=5.0)

    @property
    def metrics(self):
        """The metrics Keras resets each epoch: `nll` (nats per sequence), `g_loss`, `d_loss`.

        Returns:
            A list: the three `keras.metrics.Mean` trackers.
        """
        return [self.nll_tracker, self.g_loss_tracker, self.d_loss_tracker]

    # -- the generator as a language model ---------------------------------------------------
    def call(self, tokens, training=False):
        """Token ids → the generator's next-token probabilities (teacher forcing).

        Position t is the distribution of tokens[t] given the start token and tokens[:t].

        Args:
            tokens: token ids [batch, time], each in [0, vocab_size).
            training: whether the generator runs in training mode.

        Returns:
            The probabilities, float32 [batch, time, vocab_size].

        Raises:
            ValueError: `tokens` is not of shape [batch, time].
        """
        self.expect_shape(tokens, (None, None), "tokens")
        return ops.softmax(teacher_forced_logits(self.generator, tokens, training), axis=-1)

    def token_nll(self, tokens, temperature=1.0, training=False):
        """Negative log-likelihood of each token in nats, given the tokens before it.

        Under the model sampled at `temperature`: softmax(logits / temperature).

        Args:
            tokens: token ids [batch, time] (an int array or tensor), each in
                [0, vocab_size).
            temperature: the sampling temperature (positive); default 1.0, the model itself.
            training: whether the generator runs in training mode.

        Returns:
            The NLL of each token in nats, float32 [batch, time].

        Raises:
            zoo.ConfigError: `temperature` (a number) is not positive.

        Examples:
            >>> import numpy as np, zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4,
            ...                hidden_dim=4, discriminator_dim=4)
            >>> nll = gan.token_nll(np.array([[0, 1, 2, 1]]))
            >>> nll.shape, nll.dtype
            (TensorShape([1, 4]), tf.float32)
        """
        _check_temperature(temperature)
        tokens = ops.convert_to_tensor(tokens)  # a list of lists too
        logits = teacher_forced_logits(self.generator, tokens, training)
        logits = logits if temperature == 1.0 else logits / temperature
        return keras.losses.sparse_categorical_crossentropy(tokens, logits, from_logits=True)

    def sequence_nll(self, tokens, temperature=1.0):
        """Negative log-likelihood of each sequence in nats: `token_nll` summed over its tokens.

        Args:
            tokens: token ids [batch, time] (an int array or tensor), each in
                [0, vocab_size).
            temperature: the sampling temperature (positive); default 1.0, the model itself.

        Returns:
            The NLL of each sequence in nats, float32 [batch].

        Examples:
            >>> import numpy as np, zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4,
            ...                hidden_dim=4, discriminator_dim=4)
            >>> tokens = np.array([[0, 1, 2, 1], [2, 2, 0, 0]])
            >>> nll = gan.sequence_nll(tokens)
            >>> nll.shape, bool(np.allclose(nll, np.sum(gan.token_nll(tokens), axis=-1)))
            (TensorShape([2]), True)
        """
        return ops.sum(self.token_nll(tokens, temperature), axis=-1)

    # -- sampling --------------------------------------------------------------------------
    def rollout(self, batch, length, temperature=1.0, prompt=None, noise_seed=None, inverse_temperature=None):
        """Samples token sequences from the generator (`gumbel_rollout`), token by token.

        Gumbel-max sampling: the same seed gives the same tokens. With `inverse_temperature`
        it also gives the differentiable Gumbel-softmax relaxation the adversarial phase
        trains through.

        Args:
            batch: how many sequences.
            length: tokens per sequence (after the prompt).
            temperature: the sampling temperature (positive); default 1.0.
            prompt: int32 token ids [batch, prompt_length] that the generator reads first and
                the samples continue; None starts from the start token.
            noise_seed: an int or a [2] seed for reproducible noise; None (the default) uses
                the model's own seed generator, which advances.
            inverse_temperature: the relaxation's inverse temperature; None (the default)
                computes no relaxation.

        Returns:
            A pair (tokens, relaxed): tokens int32 [batch, length]; relaxed one-hots float32
            [batch, length, vocab_size], or None without `inverse_temperature`.

        Raises:
            zoo.ConfigError: `temperature` (a number) is not positive.

        Examples:
            >>> import zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4,
            ...                hidden_dim=4, discriminator_dim=4)
            >>> tokens, relaxed = gan.rollout(2, 3, noise_seed=1)
            >>> tokens.shape, tokens.dtype, relaxed
            (TensorShape([2, 3]), tf.int32, None)
            >>> gan.rollout(2, 3, noise_seed=1, inverse_temperature=5.0)[1].shape
            TensorShape([2, 3, 3])
        """
        if noise_seed is None:
            # Folded into a key of its own: the generator's next seed differs from this one by
            # [0, 1], and the rollout keys its steps (seed + [0, t]), so consecutive training
            # steps would otherwise share their noise, shifted by one position.
            noise_seed = tf.random.experimental.stateless_fold_in(tf.cast(self.seed_generator.next(), tf.int32), 0)
        elif isinstance(noise_seed, int):
            noise_seed = tf.constant([noise_seed, 0])
        _check_temperature(temperature)
        return gumbel_rollout(self.generator, batch, length, tf.cast(noise_seed, tf.int32), temperature, prompt,
                              inverse_temperature)

    def sample(self, n, length=None, temperature=1.0, seed=None):
        """Samples `n` sequences of token ids at `temperature`.

        Args:
            n: how many sequences.
            length: tokens per sequence; None (the default) for `sequence_length`.
            temperature: the sampling temperature (positive; below 1 sharper, above 1
                flatter); default 1.0.
            seed: an int or a [2] seed for reproducible samples; None (the default) uses the
                model's own seed generator.

        Returns:
            Token ids, int32 [n, length].

        Raises:
            zoo.ConfigError: `temperature` (a number) is not positive.

        Examples:
            >>> import numpy as np, zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), sequence_length=5,
            ...                embedding_dim=4, hidden_dim=4, discriminator_dim=4)
            >>> tokens = gan.sample(2, seed=0)
            >>> tokens.shape, tokens.dtype, gan.sample(2, length=7).shape
            (TensorShape([2, 5]), tf.int32, TensorShape([2, 7]))
            >>> bool(np.array_equal(tokens, gan.sample(2, seed=0)))
            True
        """
        return self.rollout(n, length or self.sequence_length, temperature, noise_seed=seed)[0]

    def encode(self, text):
        """Text → token ids, split as the training text was.

        Args:
            text: a string: characters, or words and punctuation marks with
                `token_separator=" "`.

        Returns:
            A list: the token ids (ints); unknown tokens are "<unk>"'s id when the vocabulary
            has it.

        Raises:
            ValueError: `text` holds tokens not in the vocabulary, and it has no "<unk>".

        Examples:
            >>> import zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4,
            ...                hidden_dim=4, discriminator_dim=4)
            >>> gan.encode("cab")
            [2, 0, 1]
            >>> gan.encode("cabd")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: Tokens not in the vocabulary: ['d']; use only tokens of the model's ...
        """
        tokens = self.tokenizer.split(text)
        ids = self.tokenizer.lookup(tokens).numpy().tolist()
        unknown = sorted({t.decode("utf-8") for t, i in zip(tokens.numpy(), ids) if i < 0})
        if unknown:
            raise ValueError(f"Tokens not in the vocabulary: {unknown[:10]}; use only tokens of the "
                             f"model's vocabulary ({self.vocab_size} tokens).")
        return ids

    def decode(self, token_ids):
        """Token ids of one sequence → text, up to the first "<eos>" when the vocabulary has one.

        Args:
            token_ids: the ids [length] of one sequence, each in [0, vocab_size).

        Returns:
            The text: the tokens joined by `token_separator`.

        Raises:
            zoo.ConfigError: an id is outside [0, vocab_size).

        Examples:
            >>> import zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=["the", "cat", "sat", "."],
            ...                token_separator=" ", embedding_dim=4, hidden_dim=4,
            ...                discriminator_dim=4)
            >>> gan.decode([0, 1, 2, 3])
            'the cat sat .'
        """
        ids = np.asarray(token_ids, "int32")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ConfigError(f"token ids must be in [0, {self.vocab_size}) (the vocabulary's size), got "
                              f"{int(ids.min())} … {int(ids.max())}.")
        return self.tokenizer.decode(ids).numpy().decode("utf-8")

    def generate_text(self, n, length=None, temperature=1.0, prompt="", seed=None):
        """Generates `n` strings: the prompt followed by `length` sampled tokens.

        Args:
            n: how many strings.
            length: tokens sampled after the prompt; None (the default) for `sequence_length`.
            temperature: the sampling temperature (positive); default 1.0.
            prompt: text the samples continue (joined to them by `token_separator`); "" (the
                default) for none.
            seed: an int or a [2] seed for reproducible text; None (the default) uses the
                model's own seed generator.

        Returns:
            A list: `n` strings, each cut at the first "<eos>" when the vocabulary has one.

        Raises:
            zoo.ConfigError: `temperature` is not positive.
            ValueError: `prompt` holds tokens not in the vocabulary, and it has no "<unk>".

        Examples:
            >>> import zoo
            >>> gan = zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4,
            ...                hidden_dim=4, discriminator_dim=4)
            >>> texts = gan.generate_text(2, length=5, prompt="ab", seed=0)
            >>> [(len(text), text.startswith("ab")) for text in texts]
            [(7, True), (7, True)]
        """
        prompt_ids = self.encode(prompt) if prompt else []
        prompt_tensor = ops.convert_to_tensor(np.tile(np.asarray(prompt_ids, "int32"), (n, 1))) if prompt_ids else None
        tokens = self.rollout(n, length or self.sequence_length, temperature, prompt=prompt_tensor,
                               noise_seed=seed)[0]
        sep = self.token_separator
        return [prompt + (sep if prompt and sep else "") + text.decode("utf-8")
                for text in self.tokenizer.decode(tokens).numpy()]

    # -- training ----------------------------------------------------------------------------
    def train_step(self, data):
        """One step of the traced phase: maximum likelihood, or adversarial.

        Args:
            data: token ids [batch, sequence_length], or a tuple whose first item they are.

        Returns:
            A dict: the logs: `nll` in the maximum-likelihood phase; `g_loss`, `d_loss` and
            `nll` in the adversarial one.
        """
        real = ops.cast(data[0] if isinstance(data, (tuple, list)) else data, "int32")
        if self._traced_phase == "adversarial":
            adversarial_step(self, real)
        else:
            self._mle_step(real)
        return self.step_logs()

    def _mle_step(self, real):
        with tf.GradientTape() as tape:
            nll = ops.mean(self.sequence_nll(real))
            scaled = self.per_replica(nll)  # inside the tape, or the division is not on it
        grads = tape.gradient(scaled, self.generator.trainable_variables)
        self.apply_gradients(self.g_optimizer, grads, self.generator.trainable_variables)
        self.nll_tracker.update_state(nll)

    def test_step(self, data):
        """Tracks the mean NLL of the batch's sequences.

        Args:
            data: token ids [batch, time], or a tuple whose first item they are.

        Returns:
            A dict: the logs, {"nll": the mean NLL in nats per sequence}.
        """
        real = ops.cast(data[0] if isinstance(data, (tuple, list)) else data, "int32")
        self.nll_tracker.update_state(ops.mean(self.sequence_nll(real)))
        return self.step_logs([self.nll_tracker])

    # -- serving -----------------------------------------------------------------------------
    def litert_shapes(self):
        """The fixed input shapes of a LiteRT export: `sequence_length` tokens at a time.

        Its LSTM loop needs static shapes; the ONNX export takes any length.

        Returns:
            A dict: {"tokens": (1, sequence_length)}.
        """
        return {"tokens": (1, self.sequence_length)}

    def id_limit(self):
        """Token ids are below the vocabulary's size.

        Returns:
            The bound: `vocab_size`, the bound the exports check ids against.
        """
        return self.vocab_size

    def request_limits(self):
        """How large one request may be: `serving_default` scores as much as `generate` draws.

        `ZooModel.request_limits`, and for `serving_default` at most `MAX_SEQUENCES` sequences
        of at most `MAX_LENGTH` tokens.

        Returns:
            dict: {endpoint: {input name: {axis: the most it may hold}}}.

        Examples:
            >>> import zoo
            >>> zoo.load("lstm_gan_text").request_limits()["serving_default"]
            {'tokens': {0: 1000, 1: 1000}}
        """
        return {**super().request_limits(), "serving_default": {"tokens": {0: self.MAX_SEQUENCES, 1: self.MAX_LENGTH}}}

    def serving_signatures(self):
        """The endpoints `zoo.export` writes: `serving_default` and `generate`.

        `serving_default` takes int32 `tokens` [batch, time] and gives next-token
        `probabilities`; `generate` takes `num_sequences`, `max_length`, `temperature`, `seed`
        and a `prompt` string and gives `text` and `tokens` (left out of LiteRT and ONNX
        exports: `NOT_PORTABLE`).

        Returns:
            A dict: {endpoint name: (function, [tf.TensorSpec, ...])}, `serving_default` first.
        """
        tokens_spec = tf.TensorSpec((None, None), tf.int32, name="tokens")
        count_spec = tf.TensorSpec((), tf.int32, name="num_sequences")
        length_spec = tf.TensorSpec((), tf.int32, name="max_length")
        temperature_spec = tf.TensorSpec((), tf.float32, name="temperature")
        seed_spec = tf.TensorSpec((), tf.int32, name="seed")
        prompt_spec = tf.TensorSpec((), tf.string, name="prompt")

        def next_token_probabilities(tokens):
            tokens = self.checked_ids(self.checked(tokens, tokens_spec), self.vocab_size,
                                      "tokens must be ids in [0, vocab_size)")
            return {"probabilities": self(tokens)}

        def generate(num_sequences, max_length, temperature, seed, prompt):
            num_sequences = self.checked_count(num_sequences, count_spec, self.MAX_SEQUENCES)
            max_length = self.checked_count(max_length, length_spec, self.MAX_LENGTH)
            checks = [tf.debugging.assert_positive(self.checked(temperature, temperature_spec),
                                                   message="temperature must be positive")]
            with tf.control_dependencies(checks):
                ids = self.checked_ids(self.tokenizer.encode(prompt), self.vocab_size,
                                       "prompt holds tokens outside the vocabulary")
                prompt_ids = tf.tile(ids[None], [num_sequences, 1])
            noise_seed = tf.stack([self.checked(seed, seed_spec), 0])
            with_prompt = lambda: self.rollout(num_sequences, max_length, temperature, prompt_ids, noise_seed)[0]
            without = lambda: self.rollout(num_sequences, max_length, temperature, None, noise_seed)[0]
            tokens = tf.cond(tf.size(ids) > 0, with_prompt, without)
            text = self.tokenizer.decode(tokens)
            joiner = tf.where(tf.logical_and(tf.size(ids) > 0, self.token_separator != ""), self.token_separator, "")
            return {"text": prompt + joiner + text, "tokens": tokens}

        return {
            "serving_default": (next_token_probabilities, [tokens_spec]),
            "generate": (generate, [count_spec, length_spec, temperature_spec, seed_spec, prompt_spec]),
        }
