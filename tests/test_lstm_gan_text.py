"""What is particular to the text GAN model: its likelihood, sampling, both adversarial gradients,
the vocabulary at the edges, and encode/decode round trips. The recipe and the text data it reads
are tested in test_lstm_gan_text_data.py, the oracle benchmark in test_lstm_gan_text_oracle.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings, strategies as st
from keras import ops

import zoo
from zoo import cards
from zoo.models import text_networks

from conftest import tiny

VOCABULARY = list("abcde") + ["<unk>"]

def small(**overrides):
    """`tiny`'s text GAN on this file's five letters and <unk>, in sequences of 6 tokens."""
    return tiny("lstm_gan_text", **{**dict(vocabulary=VOCABULARY, sequence_length=6), **overrides})

def test_sequence_nll_is_the_sum_of_the_next_token_log_probabilities():
    model = small()
    tokens = np.array([[0, 1, 2, 3, 4, 0], [4, 4, 4, 4, 4, 4]], "int32")
    probabilities = np.asarray(model(tokens))
    assert probabilities.shape == (2, 6, len(VOCABULARY))
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    by_hand = -np.log(np.take_along_axis(probabilities, tokens[..., None], -1)[..., 0]).sum(-1)
    np.testing.assert_allclose(np.asarray(model.sequence_nll(tokens)), by_hand, rtol=1e-5)


def test_low_temperature_sampling_concentrates_and_seeds_repeat():
    model = small()
    # Logits of an untrained network are near 0, where any temperature samples uniformly.
    model.generator.set_weights([3 * w for w in model.generator.get_weights()])
    cold = np.asarray(model.sample(200, temperature=0.05, seed=3))
    warm = np.asarray(model.sample(200, temperature=1.0, seed=3))
    assert len({tuple(r) for r in cold}) < len({tuple(r) for r in warm})
    np.testing.assert_array_equal(warm, np.asarray(model.sample(200, temperature=1.0, seed=3)))
    assert warm.min() >= 0 and warm.max() < len(VOCABULARY)


def test_generated_text_starts_with_the_prompt_and_maps_unknown_characters():
    model = small()
    texts = model.generate_text(3, length=5, prompt="abz", seed=1)
    assert len(texts) == 3 and all(t.startswith("abz") for t in texts)
    plain = small(vocabulary=list("abc")).generate_text(2, length=5, prompt="ab", seed=1)
    assert all(t.startswith("ab") and len(t) == 2 + 5 and set(t) <= set("abc") for t in plain)
    assert model.encode("abz")[-1] == VOCABULARY.index("<unk>")
    strict = small(vocabulary=list("abc"))
    with pytest.raises(ValueError, match="not in the vocabulary"):
        strict.encode("abz")


@pytest.mark.parametrize("estimator", ["gumbel", "reinforce", "rollout"])
def test_adversarial_phase_trains_both_networks(estimator):
    model = small(estimator=estimator, phase="adversarial")
    model.compile()
    before_g, before_d = model.generator.get_weights(), model.discriminator.get_weights()
    real = np.random.default_rng(0).integers(0, 5, size=(16, 6)).astype("int32")
    history = model.fit(real, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["g_loss"][0]) and np.isfinite(history.history["d_loss"][0])
    assert any(np.any(a != b) for a, b in zip(before_g, model.generator.get_weights()))
    assert any(np.any(a != b) for a, b in zip(before_d, model.discriminator.get_weights()))
    assert int(model.adversarial_steps.numpy()) == 1


def test_discriminator_steps_update_the_discriminator_that_often_per_generator_step():
    model = small(phase="adversarial", discriminator_steps=3)
    model.compile()
    real = np.random.default_rng(0).integers(0, 5, size=(32, 6)).astype("int32")
    draws = int(model.seed_generator.state.numpy()[1])
    model.fit(real, epochs=1, batch_size=16, verbose=0)
    assert int(model.g_optimizer.iterations.numpy()) == 2 and int(model.d_optimizer.iterations.numpy()) == 6
    # Each D update drew samples of its own: three draws of the seed generator per step.
    assert int(model.seed_generator.state.numpy()[1]) - draws == 6
    assert type(model).from_config(model.get_config()).discriminator_steps == 3
    with pytest.raises(ValueError, match="discriminator_steps"):
        small(discriminator_steps=0)


def test_consecutive_training_draws_do_not_share_their_noise():
    """With zero logits a token is the argmax of its Gumbel noise alone: two draws keyed by the
    seed generator's consecutive seeds must not repeat each other shifted by one position."""
    model = small(sequence_length=40)
    logits = model.generator.get_layer("logits")
    logits.set_weights([np.zeros_like(w) for w in logits.get_weights()])
    first, second = (model.rollout(64, 40)[0].numpy() for _ in range(2))
    assert np.mean(second[:, :-1] == first[:, 1:]) < 0.5  # chance: 1/6
    assert np.mean(second == first) < 0.5


def test_monte_carlo_rewards_complete_each_prefix_and_score_the_whole_sequence_last():
    """SeqGAN's rewards: token t's is the mean score of completions of tokens[:, :t + 1]. A
    generator that always draws token 0 completes every prefix with 0s, so with the share of
    0s as the score each reward is known exactly."""
    model = small(estimator="rollout", rollouts=3)
    weights = model.generator.get_layer("logits").get_weights()
    bias = np.full(len(VOCABULARY), -50.0, "float32")
    bias[0] = 50.0
    model.generator.get_layer("logits").set_weights([np.zeros_like(weights[0]), bias])
    tokens = np.array([[1, 0, 2, 3, 0, 4], [4, 4, 4, 4, 4, 4]], "int32")  # batch 2, 3 rollouts
    share_of_zeros = lambda ids: ops.mean(ops.cast(ops.equal(ids, 0), "float32"), axis=-1)
    rewards = np.asarray(text_networks.monte_carlo_rewards(model.generator, share_of_zeros, tokens, 3,
                                                           tf.constant([1, 2])))
    expected = [[(np.sum(row[:t + 1] == 0) + 5 - t) / 6 for t in range(6)] for row in tokens]
    np.testing.assert_allclose(rewards, expected, atol=1e-6)


def test_monte_carlo_rewards_average_random_completions_and_repeat_with_the_seed():
    """A generator that draws the 6 tokens uniformly: a prefix's completions differ, and their
    mean share of 0s is the prefix's 0s plus 1/6 of each token still to come."""
    model = small(estimator="rollout")
    weights = model.generator.get_layer("logits").get_weights()
    model.generator.get_layer("logits").set_weights([np.zeros_like(w) for w in weights])
    tokens = np.array([[0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1]], "int32")
    share_of_zeros = lambda ids: ops.mean(ops.cast(ops.equal(ids, 0), "float32"), axis=-1)
    rewards = lambda seed, n: np.asarray(text_networks.monte_carlo_rewards(model.generator, share_of_zeros,
                                                                           tokens, n, tf.constant(seed)))
    many = rewards([1, 2], 3000)
    expected = [[(np.sum(row[:t + 1] == 0) + (5 - t) / 6) / 6 for t in range(6)] for row in tokens]
    np.testing.assert_allclose(many, expected, atol=0.01)
    few = rewards([1, 2], 2)
    np.testing.assert_array_equal(few, rewards([1, 2], 2))
    assert not np.array_equal(few, rewards([7, 2], 2))
    assert not np.allclose(few[:, :-1], np.asarray(expected)[:, :-1], atol=1e-3)  # 2 draws, not the mean


def test_the_discriminator_scores_ids_as_it_scores_their_one_hots():
    for bidirectional in (False, True):
        model = small(bidirectional=bidirectional)
        ids = np.random.default_rng(1).integers(0, len(VOCABULARY), size=(4, 6)).astype("int32")
        np.testing.assert_allclose(np.asarray(text_networks.discriminate_ids(model.discriminator, ids)),
                                   np.asarray(model.discriminator(np.eye(len(VOCABULARY), dtype="float32")[ids]))[:, 0],
                                   rtol=1e-5, atol=1e-6)


def test_mle_phase_leaves_the_discriminator_alone_and_lowers_the_nll():
    model = small()
    model.compile(g_optimizer=keras.optimizers.Adam(0.05))
    before_d = model.discriminator.get_weights()
    real = np.tile(np.array([[0, 1, 2, 3, 4, 0]], "int32"), (32, 1))
    start = float(np.mean(model.sequence_nll(real)))
    model.fit(real, epochs=20, batch_size=32, verbose=0)
    assert float(np.mean(model.sequence_nll(real))) < 0.2 * start
    assert all(np.array_equal(a, b) for a, b in zip(before_d, model.discriminator.get_weights()))


def test_xla_compiles_the_mle_step_only_and_comes_back_with_it():
    """compile(jit_compile=True): the maximum-likelihood step is XLA-compiled; the adversarial
    step (a sampling loop XLA cannot compile) is not; switching back compiles again."""
    model = small()
    model.compile(jit_compile=True)
    real = np.random.default_rng(0).integers(0, 5, size=(16, 6)).astype("int32")
    seen = []
    for phase in ("mle", "adversarial", "mle"):
        model.set_phase(phase)
        history = model.fit(real, epochs=1, batch_size=16, verbose=0)
        seen.append(model.jit_compile)
        assert all(np.isfinite(v[0]) for v in history.history.values())
    assert seen == [True, False, True]

def test_nll_at_a_temperature_is_that_of_the_tempered_softmax():
    model = small()
    model.generator.set_weights([3 * w for w in model.generator.get_weights()])
    tokens = np.array([[0, 1, 2, 3, 4, 0]], "int32")
    logits = np.log(np.asarray(model(tokens)))  # log-softmax: logits up to a constant per position
    tempered = logits / 0.5 - np.log(np.exp(logits / 0.5).sum(-1, keepdims=True))
    by_hand = -np.take_along_axis(tempered, tokens[..., None], -1).sum()
    assert float(model.sequence_nll(tokens, temperature=0.5)[0]) == pytest.approx(by_hand, rel=1e-4)

def test_generated_text_stops_at_the_end_token():
    model = small(vocabulary=["<eos>", "<unk>", "a", "b"], token_separator=" ")
    assert model.decode([2, 3, 0, 2, 0]) == "a b"
    assert model.decode([2, 3]) == "a b"

def test_card_samples_come_from_the_shipped_weights():
    card = cards.read_card(cards.saved_models_dir() / "lstm_gan_text")
    model = zoo.load("lstm_gan_text", weights="pretrained")
    samples = card["samples"]
    assert model.generate_text(len(samples["text"]), temperature=samples["temperature"], seed=samples["seed"]) == samples["text"]

# Tokenisation round trips, for any text (property-based): the model's encode and decode are the
# tokenizer of the training data and of the export (zoo.data.text.Tokenizer).

@settings(max_examples=50, deadline=None)
@given(text=st.text(alphabet="abcde", max_size=30))
def test_characters_of_the_vocabulary_round_trip(text):
    model = _round_trip_models()["characters"]
    ids = model.encode(text)
    assert len(ids) == len(text) and all(0 <= i < len(VOCABULARY) for i in ids)
    assert model.decode(ids) == text


@settings(max_examples=50, deadline=None)
@given(words=st.lists(st.sampled_from(["a", "man", "rides", "horse"]), max_size=12),
       unknown=st.lists(st.text(alphabet="xyz", min_size=1, max_size=3), max_size=3))
def test_words_round_trip_and_unknown_words_become_unk(words, unknown):
    model = _round_trip_models()["words"]
    assert model.decode(model.encode(" ".join(words))) == " ".join(words)
    ids = model.encode(" ".join(words + unknown))
    assert ids[len(words):] == [model.vocabulary.index("<unk>")] * len(unknown)


_MODELS = {}


def _round_trip_models():
    if not _MODELS:  # built once: hypothesis calls the tests many times
        _MODELS["characters"] = small()
        _MODELS["words"] = small(vocabulary=["<eos>", "<unk>", "a", "man", "rides", "horse"], token_separator=" ")
    return _MODELS
