"""What is particular to the music GAN: an exact likelihood in its maximum-likelihood phase, notes
drawn against thresholds, both phases' training steps, the baseline its recipe writes, music
files from `zoo sample`, and the measures of `zoo.music_metrics`. The data it reads is tested in
test_music_data.py."""

import itertools
import json

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import cards, music_metrics
from zoo.cli import main as cli_main

from conftest import tiny


def small(**overrides):
    """`tiny`'s music GAN on rolls of 3 pitches and 2 steps: every roll can be listed (2^6)."""
    return tiny("lstm_gan_music", **{**dict(pitches=3, steps=2, bar_steps=2), **overrides})


def every_roll(steps, pitches):
    cells = steps * pitches
    return np.array(list(itertools.product([0, 1], repeat=cells)), np.uint8).reshape(-1, steps, pitches)


def test_the_maximum_likelihood_model_is_a_distribution_over_rolls():
    model = small()
    model.generator.set_weights([3 * w for w in model.generator.get_weights()])  # far from uniform
    rolls = every_roll(2, 3)
    nll = np.asarray(model.nll_per_frame(rolls), np.float64)
    assert np.exp(-2 * nll).sum() == pytest.approx(1.0, abs=1e-5)  # per frame × 2 frames = −log p(roll)


def test_notes_sound_where_their_probability_is_above_the_threshold():
    model = small(pitches=4, steps=8, bar_steps=4)
    z = np.zeros((3, model.latent_dim), "float32")
    assert np.asarray(model.generate(z, np.zeros((3, 8, 4), "float32"))).all()  # p > 0 always
    assert not np.asarray(model.generate(z, np.ones((3, 8, 4), "float32"))).any()  # p < 1 always
    with pytest.raises(ValueError, match=r"note thresholds must have shape \[batch, 8, 4\]"):
        model.generate(z, np.zeros((3, 8, 5), "float32"))


def test_a_maximum_likelihood_model_draws_with_z_zero_and_an_adversarial_one_from_z():
    model = small(pitches=4, steps=8, bar_steps=4)
    model.generator.set_weights([3 * w for w in model.generator.get_weights()])
    thresholds = np.full((64, 8, 4), 0.5, "float32")
    assert np.asarray(model._latent(5)).any() == False  # noqa: E712  z = 0 in the "mle" phase
    model.set_phase("adversarial")
    z = np.asarray(model._latent(64))
    assert z.std() > 0.5
    rolls = np.asarray(model.generate(z, thresholds))
    assert len({r.tobytes() for r in rolls}) == 1  # z's paths start at zero: the adversarial phase starts
    kernel = model.generator.initial.kernel        # from the maximum-likelihood model itself
    kernel.assign(np.random.default_rng(0).normal(size=kernel.shape).astype("float32"))
    rolls = np.asarray(model.generate(z, thresholds))
    assert len({r.tobytes() for r in rolls}) > 1  # then z alone changes the roll
    assert bool((model.sample(4, seed=2) == model.sample(4, seed=2)).numpy().all())


def test_both_phases_train_and_the_adversarial_step_updates_both_networks():
    model = small(pitches=6, steps=8, bar_steps=4)
    model.compile()
    rolls = (np.random.default_rng(0).random((16, 8, 6)) < 0.3).astype("uint8")
    generator, discriminator = model.generator.get_weights(), model.discriminator.get_weights()
    logs = model.fit(rolls, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(logs["nll"][0]) and logs["d_loss"] == [0.0]  # the discriminator waits for its phase
    assert all((a == b).all() for a, b in zip(discriminator, model.discriminator.get_weights()))
    model.set_phase("adversarial")
    logs = model.fit(rolls, batch_size=8, epochs=1, verbose=0).history
    assert logs["d_loss"][0] > 0 and np.isfinite(logs["g_loss"][0])
    assert any((a != b).any() for a, b in zip(discriminator, model.discriminator.get_weights()))
    assert any((a != b).any() for a, b in zip(generator, model.generator.get_weights()))


def test_the_exported_endpoints_refuse_mismatched_or_oversized_requests(tmp_path):
    model = small(pitches=4, steps=8, bar_steps=4)
    loaded = tf.saved_model.load(str(zoo.export(model, tmp_path / "serving")))
    generate, sample = loaded.signatures["serving_default"], loaded.signatures["sample"]
    roll = generate(latent=tf.zeros((2, model.latent_dim)), note_thresholds=tf.fill((2, 8, 4), 0.5))["piano_roll"]
    assert roll.dtype == tf.uint8 and roll.shape == (2, 8, 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="the same number of pieces"):
        generate(latent=tf.zeros((2, model.latent_dim)), note_thresholds=tf.fill((3, 8, 4), 0.5))
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_pieces must be at most 1000"):
        sample(num_pieces=tf.constant(1001), seed=tf.constant(0))
    drawn = sample(num_pieces=tf.constant(3), seed=tf.constant(5))["piano_roll"]
    assert (drawn.numpy() == sample(num_pieces=tf.constant(3), seed=tf.constant(5))["piano_roll"].numpy()).all()


def test_the_recipe_writes_the_baseline_beside_the_gan_and_compares_them(smoke_run):
    output, card = smoke_run["lstm_gan_music"]
    baseline = cards.read_card(output / "mle")
    assert baseline["model_config"]["phase"] == "mle" and card["model_config"]["phase"] == "adversarial"
    assert baseline["epochs"] == card["recipe"]["config"]["epochs"] < card["epochs"]
    assert card["baseline"]["metrics"] == baseline["metrics"]
    assert set(card["comparison"]["rows"]) == {"held-out chorales", "maximum likelihood (baseline)", "LSTM-GAN"}
    assert zoo.load("lstm_gan_music", weights=str(output / "mle")).phase == "mle"
    assert not (output / "mle.weights.h5").exists()
    assert [card["files"][f"sample_{i}"] for i in range(4)] == [f"sample-{i}.mid" for i in range(4)]
    assert all((output / f"sample-{i}.mid").stat().st_size for i in range(4))


def test_zoo_sample_writes_midi_audio_and_a_picture(smoke_run, tmp_path, capsys):
    output, _ = smoke_run["lstm_gan_music"]
    assert cli_main(["sample", "lstm_gan_music", "--weights", str(output), "--count", "2", "--output",
                     str(tmp_path / "music")]) in (0, None)
    names = sorted(p.name for p in (tmp_path / "music").iterdir())
    assert names == ["lstm_gan_music-0-000.mid", "lstm_gan_music-0-000.wav", "lstm_gan_music-0-001.mid",
                     "lstm_gan_music-0-001.wav", "lstm_gan_music-0.png"]
    assert "wrote 5 file(s) of 2 samples" in capsys.readouterr().out


def test_keys_lengths_and_statistics_of_known_rolls():
    scale = np.zeros((1, 16, 24), np.uint8)  # D major's scale, up from D (MIDI 62), two steps a note
    for i, step in enumerate([0, 2, 4, 5, 7, 9, 11, 12]):
        scale[0, 2 * i:2 * i + 2, step] = 1
    assert music_metrics.estimate_keys(scale, pitch_low=62) == [(2, "major")]
    stats = music_metrics.music_statistics(scale, pitch_low=62)
    assert stats["in_key"] == 1.0 and stats["mean_note_steps"] == 2.0 and stats["notes_per_step"] == 1.0
    assert stats["pitch_class_histogram"][0] == pytest.approx(4 / 16)  # the tonic (D4, D5), relative to the key
    far = music_metrics.statistics_distances({**stats, "note_length_histogram": [1.0] + [0.0] * 31}, stats)
    assert far["note_length_distance"] == 1.0 and far["pitch_class_distance"] == 0.0


def test_the_discriminative_score_is_near_zero_for_one_set_and_a_half_for_two_kinds():
    rng = np.random.default_rng(0)
    noise = (rng.random((40, 8, 6)) < 0.5).astype("uint8")
    assert music_metrics.discriminative_score(noise[:20], noise[20:], seed=0, epochs=1, folds=2) <= 0.2
    silent, full = np.zeros((6, 4, 3), "uint8"), np.ones((6, 4, 3), "uint8")
    assert music_metrics.discriminative_score(silent, full, seed=0, epochs=60, batch_size=2, folds=2,
                                              units=4) == 0.5
    with pytest.raises(ValueError, match="at least 5 rolls of each kind"):
        music_metrics.discriminative_score(silent[:3], full, seed=0)
