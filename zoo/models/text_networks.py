"""The networks of `lstm_gan_text` and the token-by-token sampling loop they are run in: a
generator that is a language model, a discriminator that reads (relaxed) one-hot tokens."""

import keras
import tensorflow as tf
from keras import layers, ops

from zoo.models.cells import CELLS, recurrent_layer
from zoo.models.replicas import replica_rows


def text_generator(vocab_size, embedding_dim, hidden_dim, name="generator", cell="lstm"):
    """(tokens [batch, time], h, c) → (next-token logits [batch, time, vocab], h, c).

    Token id `vocab_size` is the start token: it is embedded but never generated. The same
    network scores whole sequences (teacher forcing) and takes one step at a time (sampling).
    `cell` is the recurrent layer's kind (`zoo.models.cells`); only an LSTM has a cell state c,
    so a GRU or a plain RNN passes c through unchanged and every cell runs in the same loops."""
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    state_h = keras.Input((hidden_dim,), name="h")
    state_c = keras.Input((hidden_dim,), name="c")
    x = layers.Embedding(vocab_size + 1, embedding_dim, name="embedding")(tokens)
    if cell == "lstm":
        x, h, c = layers.LSTM(hidden_dim, return_sequences=True, return_state=True, name="lstm")(
            x, initial_state=[state_h, state_c])
    else:
        x, h = recurrent_layer(cell, hidden_dim, return_sequences=True, return_state=True, name=cell)(
            x, initial_state=[state_h])
        c = layers.Identity(name="unused_c")(state_c)
    logits = layers.Dense(vocab_size, dtype="float32", name="logits")(x)
    return keras.Model([tokens, state_h, state_c], [logits, h, c], name=name)


def text_discriminator(vocab_size, embedding_dim, hidden_dim, bidirectional, cell="lstm"):
    """One-hot (or Gumbel-softmax relaxed) tokens [batch, time, vocab] → one real/fake logit.

    The embedding is a bias-free dense layer, so a relaxed one-hot gets the mixture of the
    embeddings it weights, and the generator's gradient flows through it."""
    one_hot = keras.Input((None, vocab_size), name="one_hot_tokens")
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding")(one_hot)
    lstm = recurrent_layer(cell, hidden_dim, name=cell)
    x = layers.Bidirectional(lstm, name="bidirectional")(x) if bidirectional else lstm(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(one_hot, logit, name="discriminator")


def teacher_forced_logits(generator, tokens, training=False):
    """Next-token logits [batch, time, vocab] of `generator` (a `text_generator`) on token ids
    [batch, time]: position t sees the start token and tokens[:t], from a zero state."""
    batch = ops.shape(tokens)[0]
    start = ops.full((batch, 1), generator.output[0].shape[-1], dtype="int32")
    inputs = ops.concatenate([start, ops.cast(tokens[:, :-1], "int32")], axis=1)
    zeros = ops.zeros((batch, generator.input[1].shape[-1]))
    logits, _, _ = generator([inputs, zeros, zeros], training=training)
    return logits


def gumbel_rollout(generator, batch, length, noise_seed, temperature=1.0, prompt=None, inverse_temperature=None):
    """Samples `length` tokens from `generator` (a `text_generator`) autoregressively. Returns
    (tokens [batch, length] int32, relaxed one-hots [batch, length, vocab] or None).

    Gumbel-max: argmax(logits / temperature + Gumbel noise) is an exact sample of
    softmax(logits / temperature); softmax(inverse_temperature · (logits + noise)) is its
    differentiable relaxation (computed only when `inverse_temperature` is given). The noise of
    step t is drawn statelessly from (`noise_seed` + [0, t]): the same seed, the same sample."""
    vocab_size = generator.output[0].shape[-1]
    zeros = ops.zeros((batch, generator.input[1].shape[-1]))
    h, c = zeros, zeros
    token = ops.full((batch, 1), vocab_size, dtype="int32")  # the start token
    if prompt is not None:  # read the prompt: its last step's output predicts the first token
        logits, h, c = generator([ops.concatenate([token, prompt[:, :-1]], axis=1), h, c])
        token = prompt[:, -1:]
    relax = inverse_temperature is not None

    def step(t, token, h, c, tokens, soft):
        logits, h, c = generator([token, h, c])
        logits = logits[:, 0]
        # Gumbel noise for this step only: [batch, vocab] at a time, not the whole sequence's.
        uniform = replica_rows(
            lambda n: tf.random.stateless_uniform((n, vocab_size), noise_seed + tf.stack([0, t]),
                                                  minval=1e-20, maxval=1.0), batch)
        noise = -ops.log(-ops.log(uniform))
        token = ops.cast(ops.argmax(logits / temperature + noise, axis=-1), "int32")[:, None]
        tokens = tokens.write(t, token[:, 0])
        if relax:
            soft = soft.write(t, ops.softmax(inverse_temperature * (logits + noise), axis=-1))
        return t + 1, token, h, c, tokens, soft

    tokens = tf.TensorArray(tf.int32, size=length)
    soft = tf.TensorArray(tf.float32, size=length if relax else 0, element_shape=(None, vocab_size) if relax else None)
    _, _, _, _, tokens, soft = tf.while_loop(
        lambda t, *_: t < length, step, (tf.constant(0), token, h, c, tokens, soft))
    tokens = tf.transpose(tokens.stack(), [1, 0])
    return tokens, (tf.transpose(soft.stack(), [1, 0, 2]) if relax else None)


def discriminate_ids(discriminator, ids):
    """A `text_discriminator`'s logits [n] of token ids [n, time]: its one-hot input without
    building it (the embedding of a one-hot is its row of the embedding kernel), so that many
    sequences of a large vocabulary fit in memory."""
    x = ops.take(discriminator.get_layer("embedding").kernel, ops.cast(ids, "int32"), axis=0)
    names = {layer.name for layer in discriminator.layers}
    reader = discriminator.get_layer(next(name for name in ("bidirectional", *CELLS) if name in names))
    return discriminator.get_layer("logit")(reader(x))[:, 0]


def monte_carlo_rewards(generator, score, tokens, rollouts, noise_seed):
    """SeqGAN's reward of every token of `tokens` [batch, time] (Yu et al. 2017, eq. 4): for
    t < time, the mean of `score` (a reward per sequence, [n] from ids [n, time]) over `rollouts`
    completions of the prefix tokens[:, :t + 1] sampled from `generator`; for the last token,
    the score of the sequence itself. Returns [batch, time], no gradient.

    Every prefix of every sequence is completed at once: one sampling loop over
    (time − 1) · rollouts · batch rows, each forced to its prefix's tokens for as long as the
    prefix lasts. Noise of step s is drawn statelessly from `noise_seed` folded with s (a key of
    its own: not the (`noise_seed` + [0, t]) keys of `gumbel_rollout`, which drew the tokens)."""
    tokens = ops.cast(tokens, "int32")
    batch, length = ops.shape(tokens)[0], ops.shape(tokens)[1]
    vocab_size = generator.output[0].shape[-1]
    copies = (length - 1) * rollouts
    rows = copies * batch
    # Row r = (prefix p, rollout k, sequence b) in that order keeps tokens[:, :p + 1] (p = 0 … time − 2).
    kept = ops.repeat(ops.arange(1, length, dtype="int32"), rollouts * batch)
    forced = ops.tile(tokens, [copies, 1])
    zeros = ops.zeros((rows, generator.input[1].shape[-1]))

    def step(s, token, h, c, out):
        logits, h, c = generator([token, h, c])
        drawn = tf.random.stateless_categorical(logits[:, 0], 1, tf.random.experimental.stateless_fold_in(noise_seed, s),
                                                dtype=tf.int32)[:, 0]
        token = ops.where(s < kept, forced[:, s], drawn)
        return s + 1, token[:, None], h, c, out.write(s, token)

    start = ops.full((rows, 1), vocab_size, dtype="int32")
    out = tf.TensorArray(tf.int32, size=length)
    *_, out = tf.while_loop(lambda s, *_: s < length, step, (tf.constant(0), start, zeros, zeros, out))
    completed = tf.transpose(out.stack(), [1, 0])
    partial = ops.mean(ops.reshape(score(completed), (length - 1, rollouts, batch)), axis=1)  # [time − 1, batch]
    rewards = ops.concatenate([ops.transpose(partial), score(tokens)[:, None]], axis=1)
    return ops.stop_gradient(rewards)
