"""SeqGAN's synthetic-data benchmark: an oracle LSTM with N(0, 1) parameters whose samples are
the training data, so that the quality of generated sequences can be measured exactly.

- NLL-oracle: the oracle's negative log-likelihood of sequences the model generates (quality).
- NLL-test: the model's negative log-likelihood of held-out oracle samples (diversity/coverage).

Both in nats per sequence (summed over its tokens), and per token beside it.
"""

import numpy as np
import tensorflow as tf

import zoo

VOCAB_SIZE, EMBEDDING_DIM, HIDDEN_DIM, SEQUENCE_LENGTH = 5000, 32, 32, 20


def make_oracle(seed, vocab_size=VOCAB_SIZE, embedding_dim=EMBEDDING_DIM, hidden_dim=HIDDEN_DIM,
                sequence_length=SEQUENCE_LENGTH):
    """The oracle: an lstm_gan_text generator whose every parameter is drawn from N(0, 1)."""
    oracle = generator_only(vocab_size, embedding_dim, hidden_dim, sequence_length, seed)
    rng = np.random.default_rng(seed)
    oracle.generator.set_weights([rng.normal(size=w.shape).astype("float32") for w in oracle.generator.get_weights()])
    return oracle


def generator_only(vocab_size, embedding_dim, hidden_dim, sequence_length, seed=None):
    """An lstm_gan_text model over the tokens "0" … "vocab_size − 1", used for its generator
    alone (its discriminator is a token one)."""
    return zoo.load("lstm_gan_text", vocabulary=[str(i) for i in range(vocab_size)], sequence_length=sequence_length,
                    embedding_dim=embedding_dim, hidden_dim=hidden_dim, discriminator_dim=4, seed=seed)


def sample_in_batches(model, n, seed, temperature=1.0, batch=1000):
    """`n` sequences [n, length] int32 from `model`, each batch with its own stateless seed: the
    draws of `model.sample(..., seed=seed * 1_000_003 + start)`, traced once (twice as fast)."""
    draw = tf.function(lambda count, key: model.sample(count, temperature=temperature, seed=key), autograph=False)
    return np.concatenate([
        np.asarray(draw(min(batch, n - start), tf.constant([seed * 1_000_003 + start, 0], tf.int64)))
        for start in range(0, n, batch)
    ])


def mean_nll(model, tokens, batch=1000, temperature=1.0):
    """Mean negative log-likelihood per sequence of `tokens` under `model`'s generator at
    `temperature`."""
    score = tf.function(lambda chunk: model.sequence_nll(chunk, temperature), autograph=False)
    return float(np.mean(np.concatenate([np.asarray(score(tokens[i:i + batch]))
                                         for i in range(0, len(tokens), batch)])))


def measure(model, oracle, held_out, samples=10_000, temperature=1.0, seed=777):
    """NLL-oracle of `samples` sequences from `model` at `temperature`, and NLL-test of the
    held-out oracle samples under `model` at that temperature, per sequence and per token."""
    generated = sample_in_batches(model, samples, seed, temperature)
    length = generated.shape[1]
    nll_oracle, nll_test = mean_nll(oracle, generated), mean_nll(model, held_out, temperature=temperature)
    return {
        "temperature": temperature,
        "nll_oracle": round(nll_oracle, 4),
        "nll_test": round(nll_test, 4),
        "nll_oracle_per_token": round(nll_oracle / length, 4),
        "nll_test_per_token": round(nll_test / length, 4),
    }
