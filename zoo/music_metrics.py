"""Measures of generated music against real music, on piano rolls ([pieces, steps, pitches] of 0 and 1).

- `discriminative_score`: TimeGAN's (Yoon et al. 2019): a post-hoc LSTM classifier learns to
  tell real rolls from generated ones; the score is |its held-out accuracy − 0.5| (0: it cannot
  tell them apart; 0.5: it always can).
- `music_statistics`: per set of rolls, the statistics of symbolic-music evaluation (Yang &
  Lerch 2020; MuseGAN's, Dong et al. 2018): notes per step, the pitch-class histogram relative
  to the estimated key, the note-length distribution, the share of notes in the estimated
  key, and the repeated-bar rate; `statistics_distances` compares two such sets.

Keys are estimated with the Krumhansl–Kessler key profiles (Krumhansl 1990), correlated with
each roll's duration-weighted pitch-class histogram over the 24 major and minor keys.

>>> rolls = np.zeros((1, 16, 12), np.uint8)
>>> rolls[0, :, [0, 4, 7]] = 1                          # a C major chord held for a bar
>>> estimate_keys(rolls, pitch_low=60)[0]                # (tonic pitch class, "major" or "minor")
(0, 'major')
"""

import numpy as np

from zoo.data.music import note_runs

# Krumhansl & Kessler's probe-tone ratings (Krumhansl 1990, Cognitive Foundations of Musical
# Pitch, table 4.1): how well each pitch class fits a major / minor key, from the tonic up.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
# The pitch classes of a key, from its tonic: the major scale; the minor key's natural and
# harmonic forms together (its raised 7th is as much the key as its flat 7th).
SCALES = {"major": {0, 2, 4, 5, 7, 9, 11}, "minor": {0, 2, 3, 5, 7, 8, 10, 11}}
MAX_NOTE_STEPS = 32  # note lengths longer than this count as this (two 4/4 bars of sixteenths)


def pitch_class_histograms(rolls, pitch_low):
    """Each roll's duration-weighted pitch-class histogram: sounding steps per pitch class.

    Args:
        rolls: [pieces, steps, pitches] of 0 and 1.
        pitch_low: the MIDI pitch of the rolls' first column.

    Returns:
        np.ndarray: float [pieces, 12], pitch class 0 = C.

    Examples:
        >>> pitch_class_histograms(np.ones((1, 2, 13)), pitch_low=60)[0].tolist()
        [4.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    """
    per_pitch = np.asarray(rolls, np.float64).sum(axis=1)  # [pieces, pitches]
    classes = (pitch_low + np.arange(per_pitch.shape[1])) % 12
    histogram = np.zeros((len(per_pitch), 12))
    for pitch_class in range(12):
        histogram[:, pitch_class] = per_pitch[:, classes == pitch_class].sum(axis=1)
    return histogram


def estimate_keys(rolls, pitch_low):
    """The key of each roll: the Krumhansl–Kessler profile its pitch classes correlate best with.

    Args:
        rolls: [pieces, steps, pitches] of 0 and 1.
        pitch_low: the MIDI pitch of the rolls' first column.

    Returns:
        list: (tonic pitch class, "major" or "minor") per roll; a silent roll gets (0, "major").

    Examples:
        >>> a_minor = np.zeros((1, 8, 12), np.uint8)
        >>> a_minor[0, :, [9, 0, 4]] = 1                 # A, C, E held (MIDI 57, 48, 52 from 48)
        >>> estimate_keys(a_minor, pitch_low=48)
        [(9, 'minor')]
    """
    keys = []
    for histogram in pitch_class_histograms(rolls, pitch_low):
        if not histogram.any() or np.ptp(histogram) == 0:
            keys.append((0, "major"))
            continue
        scores = [(np.corrcoef(histogram, np.roll(profile, tonic))[0, 1], tonic, mode)
                  for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)) for tonic in range(12)]
        _, tonic, mode = max(scores)
        keys.append((tonic, mode))
    return keys


def note_lengths(rolls):
    """The length in steps of every note: each run of consecutive sounding steps of a pitch.

    Args:
        rolls: [pieces, steps, pitches] of 0 and 1.

    Returns:
        np.ndarray: int lengths, one per note.

    Examples:
        >>> note_lengths(np.array([[[1], [1], [0], [1]]])).tolist()
        [2, 1]
    """
    _, starts, ends = note_runs(rolls)
    return ends - starts


def music_statistics(rolls, pitch_low, bar_steps=16):
    """The statistics of a set of rolls, for comparing generated music with real music.

    Args:
        rolls: [pieces, steps, pitches] of 0 and 1.
        pitch_low: the MIDI pitch of the rolls' first column.
        bar_steps: steps per bar (for the repeated-bar rate).

    Returns:
        dict: `notes_per_step` (the mean number of sounding pitches), `silent_steps` (share of
            steps with none), `notes_per_bar` (note starts per bar), `in_key` (share of
            sounding steps whose pitch class is in the roll's estimated key),
            `repeated_bars` (share of bars identical to the bar before), `mean_note_steps`,
            `pitch_class_histogram` (12 shares, relative to each roll's estimated tonic) and
            `note_length_histogram` (shares of notes 1 … MAX_NOTE_STEPS steps long).

    Examples:
        >>> rolls = np.zeros((2, 32, 12), np.uint8)
        >>> rolls[:, :, [0, 4, 7]] = 1                   # C major, held for two bars
        >>> stats = music_statistics(rolls, pitch_low=60)
        >>> stats["notes_per_step"], stats["in_key"], stats["repeated_bars"], stats["mean_note_steps"]
        (3.0, 1.0, 1.0, 32.0)
    """
    rolls = np.asarray(rolls, np.uint8)
    pieces, steps, _ = rolls.shape
    histograms = pitch_class_histograms(rolls, pitch_low)
    keys = estimate_keys(rolls, pitch_low)
    relative = np.zeros(12)
    in_key = 0.0
    for histogram, (tonic, mode) in zip(histograms, keys):
        relative += np.roll(histogram, -tonic)
        in_key += sum(histogram[(tonic + d) % 12] for d in SCALES[mode])
    sounding = rolls.sum()
    bars = steps // bar_steps
    whole = rolls[:, :bars * bar_steps].reshape(pieces, bars, bar_steps, -1)
    repeated = (whole[:, 1:] == whole[:, :-1]).all(axis=(2, 3)) if bars > 1 else np.zeros((pieces, 0), bool)
    lengths = note_lengths(rolls)
    length_histogram = np.bincount(np.minimum(lengths, MAX_NOTE_STEPS), minlength=MAX_NOTE_STEPS + 1)[1:]
    return {
        "notes_per_step": round(float(rolls.sum(axis=2).mean()), 4),
        "silent_steps": round(float((rolls.sum(axis=2) == 0).mean()), 4),
        "notes_per_bar": round(float(len(lengths) / max(1, pieces * steps / bar_steps)), 4),
        "in_key": round(float(in_key / sounding), 4) if sounding else 0.0,
        "repeated_bars": round(float(repeated.mean()), 4) if repeated.size else 0.0,
        "mean_note_steps": round(float(lengths.mean()), 4) if len(lengths) else 0.0,
        "pitch_class_histogram": [round(float(v), 4) for v in relative / max(relative.sum(), 1e-12)],
        "note_length_histogram": [round(float(v), 4) for v in length_histogram / max(length_histogram.sum(), 1)],
    }


def statistics_distances(generated, real):
    """How far the statistics of generated rolls are from those of real ones.

    Args:
        generated: `music_statistics` of the generated rolls.
        real: `music_statistics` of the real rolls.

    Returns:
        dict: `pitch_class_distance` and `note_length_distance` (total variation between the
            histograms: half their L1 distance, 0 … 1), and the absolute difference of each
            scalar statistic (`notes_per_step_gap`, ...).

    Examples:
        >>> a = {"notes_per_step": 3.0, "pitch_class_histogram": [1.0] + [0.0] * 11,
        ...      "note_length_histogram": [1.0]}
        >>> b = {"notes_per_step": 4.0, "pitch_class_histogram": [0.5, 0.5] + [0.0] * 10,
        ...      "note_length_histogram": [1.0]}
        >>> statistics_distances(a, b)
        {'pitch_class_distance': 0.5, 'note_length_distance': 0.0, 'notes_per_step_gap': 1.0}
    """
    out = {}
    for name in ("pitch_class", "note_length"):
        a, b = np.asarray(generated[f"{name}_histogram"]), np.asarray(real[f"{name}_histogram"])
        out[f"{name}_distance"] = round(float(0.5 * np.abs(a - b).sum()), 4)
    for name, value in generated.items():
        if not isinstance(value, list) and name in real:
            out[f"{name}_gap"] = round(abs(float(value) - float(real[name])), 4)
    return out


def discriminative_score(real, generated, *, seed, folds=5, units=None, epochs=20, batch_size=64):
    """TimeGAN's discriminative score: |accuracy − 0.5| of a post-hoc LSTM classifier of real vs generated.

    As Yoon et al. (2019) define it, with one change so that few real pieces give a steady
    number: the classifier's accuracy is cross-validated (`folds` folds, each roll held out
    once) instead of measured on one 20 % split. The classifier is TimeGAN's: one recurrent
    layer of half the features' width (here an LSTM), a logit from its final state, Adam.

    Args:
        real: [n, steps, pitches] real rolls.
        generated: [n, steps, pitches] generated rolls (the first len(real) are used, and
            vice versa: the two classes are balanced).
        seed: the folds' and the classifiers' seed.
        folds: cross-validation folds.
        units: the LSTM's units; None: half the pitches (TimeGAN's choice).
        epochs: passes over each fold's training rolls.
        batch_size: rolls per step.

    Returns:
        float: |held-out accuracy − 0.5|, 0 … 0.5 (lower: the generated rolls are harder to
            tell from the real).

    Raises:
        ValueError: if either set has fewer rolls than `folds`.

    Examples:
        >>> quiet, busy = np.zeros((10, 4, 2), np.uint8), np.ones((10, 4, 2), np.uint8)
        >>> 0.0 <= discriminative_score(quiet, busy, seed=0, folds=2, epochs=1) <= 0.5
        True
    """
    import keras

    n = min(len(real), len(generated))
    if n < folds:
        raise ValueError(f"discriminative_score needs at least {folds} rolls of each kind, got {len(real)} real and "
                         f"{len(generated)} generated.")
    x = np.concatenate([np.asarray(real[:n]), np.asarray(generated[:n])]).astype(np.float32)
    y = np.concatenate([np.ones(n), np.zeros(n)]).astype(np.float32)
    order = np.random.default_rng(seed).permutation(2 * n)
    parts = np.array_split(order, folds)
    width = units or max(1, x.shape[2] // 2)
    correct = 0
    for k, held_out in enumerate(parts):
        train = np.concatenate([p for j, p in enumerate(parts) if j != k])
        keras.utils.set_random_seed(seed * 1000 + k)
        classifier = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.LSTM(width), keras.layers.Dense(1)])
        classifier.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(from_logits=True))
        classifier.fit(x[train], y[train], epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True)
        logits = classifier.predict(x[held_out], batch_size=256, verbose=0)[:, 0]
        correct += int(((logits > 0) == (y[held_out] > 0.5)).sum())
    return round(abs(correct / (2 * n) - 0.5), 4)
