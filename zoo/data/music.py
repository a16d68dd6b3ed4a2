"""Music: Bach's chorales (`zoo.datasets.bach_chorales`, generated from music21's corpus on first
use) or a folder of your own MIDI and MusicXML files (`--music DIR`), as piano rolls on a
sixteenth-note grid, cut into fixed-length windows and transposed for training.

    splits = music_splits(batch_size=64, seed=0)            # the chorales, 4/4, 64-step windows
    splits = music_splits("~/my_midi", batch_size=64, seed=0)   # a folder of your own
    rolls, = next(iter(splits.train.dataset))                # uint8 [64, 64, 46]: batch, steps, pitches
    piano_roll_to_midi(rolls[0], "sample.mid", tempo=80)

A roll is uint8 [steps, pitches], 1 where a pitch sounds at a step's start; pitch column 0 is
MIDI `PITCH_LOW` (C2) and the last `PITCH_HIGH` (A5), the range of the chorales, which a
folder's files must keep to as well. Windows start on bar lines (after a pickup) and, by default,
on every bar; the training windows are transposed by a random number of semitones per window, at
most `MAX_SHIFT` each way and never out of the range, drawn from (seed, batch index) so a rerun
or a resumed run sees the same keys. A folder has no split of its own: its files are split by
name as the chorales are by hymn (`bach_chorales.assign_splits`: about 10 % test, 10 %
validation, the same files every run).
"""

import os
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.atomic import atomic_path
from zoo.data import Splits, batched, resolve_data_dir, shuffled_batches
from zoo.datasets import bach_chorales as bc
from zoo.datasets.bach_chorales import NUM_PITCHES, PITCH_HIGH, PITCH_LOW, STEPS_PER_QUARTER
from zoo.errors import DataError

CHORALES = "bach_chorales"
SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl")
WINDOW_STEPS = 64  # four bars of 4/4
MAX_SHIFT = 6  # semitones each way: with the tritone up or down every key is reachable
SPLITS = ("train", "validation", "test")


def load_pieces(music=None, *, data_dir=None, generated_data_dir=None, download=True, meters=("4/4",),
                skip_bad=False):
    """Whole pieces of each split: the Bach chorales, or the files of a folder of your own.

    Args:
        music: a folder of MIDI / MusicXML files (`--music DIR`, see `read_music_folder`), or None
            for the chorales.
        data_dir: where a prepared `bach_chorales` is looked for first (default: $TFDS_DATA_DIR,
            else TFDS's default folder).
        generated_data_dir: where it is generated when it is not prepared there (default
            ~/tensorflow_datasets: never the data folder, which may be a read-only shared copy).
        download: False makes an unprepared `bach_chorales` an error instead of generating it
            (nothing is downloaded either way: the scores come with music21).
        meters: the chorales' time signatures to keep ("4/4", "3/4"); None keeps both. A
            folder's files are all kept.
        skip_bad: skip a folder's unusable files instead of refusing it (`read_music_folder`).

    Returns:
        dict: "train", "validation", "test": lists of pieces, each a dict with "name", "roll" and
            "onsets" (uint8 [steps, NUM_PITCHES]), "downbeat", "bar_steps", "meter" and "key"
            (see `bach_chorales.score_to_piece`); "info": what the model card says about them.

    Raises:
        DataError: the chorales are not prepared and cannot be generated (music21 missing, or
            `download` False), a meter is unknown, or the folder is unusable (see
            `read_music_folder`) or holds a single piece.

    Example:

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     _ = piano_roll_to_midi(np.eye(8, NUM_PITCHES, 24 + i, dtype=np.uint8), folder / f"{i}.mid")
    >>> pieces = load_pieces(folder)
    >>> [len(pieces[split]) for split in SPLITS], pieces["test"][0]["roll"].shape
    ([2, 0, 1], (8, 46))
    """
    if music is not None:
        pieces = read_music_folder(music, skip_bad=skip_bad)
        if len(pieces) < 2:
            raise DataError(f"--music {music} has one usable piece ({pieces[0]['name']}): it needs two at least, "
                            "one to train on and one held out for testing.")
        splits = bc.assign_splits([p["name"] for p in pieces])
        by_split = {s: [p for p, where in zip(pieces, splits) if where == s] for s in SPLITS}
        name, version, rule = str(Path(music).expanduser().resolve()), "folder", "by file name"
    else:
        unknown = set(meters or ()) - set(bc.METERS)
        if unknown:
            raise DataError(f"The chorales' meters are {', '.join(bc.METERS)}; asked for {', '.join(sorted(unknown))}.")
        builder = _chorale_builder(data_dir, generated_data_dir, download)
        by_split = {s: [_piece(e) for e in tfds.as_numpy(builder.as_dataset(split=s, shuffle_files=False))]
                    for s in SPLITS}
        by_split = {s: sorted((p for p in ps if not meters or p["meter"] in meters), key=lambda p: p["number"])
                    for s, ps in by_split.items()}
        name, version, rule = CHORALES, str(builder.info.version), "by hymn title"
    info = {"name": name, "version": version, **{f"{s}_pieces": len(by_split[s]) for s in SPLITS},
            "pitch_low": PITCH_LOW, "pitch_high": PITCH_HIGH, "steps_per_quarter": STEPS_PER_QUARTER,
            "meters": list(meters) if music is None and meters else None,
            "split": f"{rule}, fixed (zoo.datasets.bach_chorales.assign_splits)"}
    return {**by_split, "info": info}


def _piece(example):
    """A TFDS example as a piece: strings decoded, the chorale named by its BWV number."""
    return {"name": example["bwv"].decode(), "roll": example["roll"], "onsets": example["onsets"],
            "downbeat": int(example["downbeat"]), "bar_steps": int(example["bar_steps"]),
            "meter": example["meter"].decode(), "key": example["key"].decode(),
            "number": int(example["riemenschneider"])}


def _chorale_builder(data_dir, generated_data_dir, download):
    """The prepared `bach_chorales` builder: in the data folder, else in the generated-data folder,
    else generated there (35 s on 2 cores: music21 parses 350 scores)."""
    generated = os.path.expanduser(generated_data_dir or os.path.join("~", "tensorflow_datasets"))
    for folder in dict.fromkeys((resolve_data_dir(data_dir), generated)):
        builder = bc.BachChorales(data_dir=folder)
        if builder.is_prepared():
            return builder
    if not download:
        raise DataError(f"{CHORALES} is not prepared in {resolve_data_dir(data_dir)} or {generated} (and preparing "
                        f"it is off). Allow it, or point --data-dir at a folder holding {CHORALES}/.")
    bc.music21_module()  # missing, the message says how to install it
    print(f"Generating {CHORALES} from music21's corpus into {generated} (once, under a minute) ...",
          file=sys.stderr, flush=True)
    try:
        builder.download_and_prepare()
    except Exception as e:  # noqa: BLE001  a corpus left out of music21, a disk full: say which
        raise DataError(f"Could not generate {CHORALES}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                        " It is made from music21's corpus: reinstall music21 (pip install "
                        '"lstm-gan-zoo[music]"), which ships it.') from e
    return builder


def windows(pieces, length=WINDOW_STEPS, stride=None, *, onsets=False):
    """Fixed-length windows of whole pieces, starting on bar lines.

    A piece's windows start at its first downbeat (a pickup is left out) and every `stride`
    steps after it, as long as a whole window fits; a piece shorter than `length` gives none.

    Args:
        pieces: pieces as `load_pieces` or `read_music_folder` gives them.
        length: steps per window (64: four bars of 4/4).
        stride: steps from one window's start to the next; None: one bar of each piece.
        onsets: also return the onset windows.

    Returns:
        np.ndarray: uint8 [windows, length, NUM_PITCHES] rolls; with `onsets`, a pair (rolls,
            onsets) of that shape.

    Raises:
        ValueError: `length` or `stride` is below 1.

    Example:

    >>> piece = {"roll": np.ones((100, NUM_PITCHES), np.uint8), "onsets": np.zeros((100, NUM_PITCHES), np.uint8),
    ...          "downbeat": 4, "bar_steps": 16}
    >>> windows([piece]).shape            # starting at steps 4, 20 and 36: a fourth would end past 100
    (3, 64, 46)
    """
    if length < 1 or (stride is not None and stride < 1):
        raise ValueError(f"length and stride must be at least 1, got {length} and {stride}.")
    starts = [(piece, start) for piece in pieces
              for start in range(piece["downbeat"], len(piece["roll"]) - length + 1, stride or piece["bar_steps"])]
    width = pieces[0]["roll"].shape[1] if pieces else NUM_PITCHES
    rolls = np.zeros((len(starts), length, width), np.uint8)
    starts_onsets = np.zeros_like(rolls) if onsets else None
    for i, (piece, start) in enumerate(starts):
        rolls[i] = piece["roll"][start:start + length]
        if onsets:
            starts_onsets[i] = piece["onsets"][start:start + length]
    return (rolls, starts_onsets) if onsets else rolls


def transpose(rolls, shifts):
    """Rolls moved up by `shifts` semitones each (down where negative); notes moved out are lost.

    Args:
        rolls: [batch, steps, pitches] tensor (any dtype).
        shifts: int [batch] tensor, one shift per roll.

    Returns:
        tf.Tensor: the moved rolls, of the same shape and dtype.

    Example:

    >>> roll = tf.constant([[[0, 1, 0, 0]], [[0, 1, 0, 0]]])
    >>> transpose(roll, tf.constant([2, -1])).numpy().tolist()
    [[[0, 0, 0, 1]], [[1, 0, 0, 0]]]
    """
    pitches = tf.shape(rolls)[-1]
    source = tf.range(pitches)[None, :] - tf.cast(shifts, tf.int32)[:, None]  # [batch, pitches]
    inside = tf.cast((source >= 0) & (source < pitches), rolls.dtype)
    moved = tf.gather(rolls, tf.clip_by_value(source, 0, pitches - 1), axis=2, batch_dims=1)
    return moved * inside[:, None, :]


def random_transpositions(max_shift=MAX_SHIFT, *, seed):
    """A `batch_map` for `shuffled_batches` that transposes each window by a random interval.

    Each window's shift is uniform over the whole semitones from −`max_shift` to `max_shift`
    that keep all its notes in the pitch range (a silent window stays as it is), drawn from
    (seed, batch index): the same shifts in a rerun and in a resumed run. A batch of (rolls,
    onsets) moves both alike.

    Args:
        max_shift: the largest shift, in semitones, either way.
        seed: the draws' seed (int).

    Returns:
        callable: (batch index, rolls [batch, steps, pitches] or a tuple of such tensors whose
            first is the rolls) → the same, transposed.

    Raises:
        ValueError: `max_shift` is negative.

    Example:

    >>> rolls = tf.one_hot([[0], [5]], 6, dtype=tf.uint8)     # two one-step rolls of 6 pitches
    >>> moved = random_transpositions(6, seed=0)(tf.constant(0, tf.int64), rolls)
    >>> moved.shape, int(tf.reduce_sum(moved))                   # the notes moved, none lost
    (TensorShape([2, 1, 6]), 2)
    """
    if max_shift < 0:
        raise ValueError(f"max_shift must be at least 0, got {max_shift}.")

    def move(index, batch):
        together = isinstance(batch, (tuple, list))
        rolls = batch[0] if together else batch
        pitches = tf.shape(rolls)[-1]
        sounding = tf.reduce_any(rolls > 0, axis=1)  # [batch, pitches]
        empty = ~tf.reduce_any(sounding, axis=1)
        lowest = tf.argmax(tf.cast(sounding, tf.int32), axis=1, output_type=tf.int32)
        highest = pitches - 1 - tf.argmax(tf.cast(sounding[:, ::-1], tf.int32), axis=1, output_type=tf.int32)
        down = tf.where(empty, 0, tf.maximum(-max_shift, -lowest))
        up = tf.where(empty, 0, tf.minimum(max_shift, pitches - 1 - highest))
        key = tf.stack([tf.constant(seed, tf.int64), tf.cast(index, tf.int64)])
        draw = tf.random.stateless_uniform(tf.shape(down), key, 0.0, 1.0)
        shifts = tf.minimum(down + tf.cast(tf.floor(draw * tf.cast(up - down + 1, tf.float32)), tf.int32), up)
        if together:
            return tuple(transpose(t, shifts) for t in batch)
        return transpose(rolls, shifts)

    return move


def coarser(piece, steps_per_quarter):
    """A piece on a coarser grid: `steps_per_quarter` steps a quarter note instead of four.

    Each new step is the old step it starts on (the notes sounding at that moment), counted so
    that the first bar line stays a step; an onset anywhere in a new step's span is its onset.

    Args:
        piece: a piece as `load_pieces` gives it (sixteenth-note steps).
        steps_per_quarter: 1, 2 or 4 (4: the piece itself).

    Returns:
        dict: the piece with "roll", "onsets", "downbeat" and "bar_steps" on the new grid.

    Raises:
        ValueError: `steps_per_quarter` does not divide 4.

    Example:

    >>> piece = {"roll": np.eye(8, 2, dtype=np.uint8), "onsets": np.eye(8, 2, dtype=np.uint8),
    ...          "downbeat": 1, "bar_steps": 16}
    >>> quarters = coarser(piece, 1)                    # steps 1 and 5 of 0 … 7: the downbeat kept
    >>> quarters["roll"].tolist(), quarters["onsets"].tolist(), quarters["downbeat"], quarters["bar_steps"]
    ([[0, 1], [0, 0]], [[0, 1], [0, 0]], 0, 4)
    """
    if steps_per_quarter not in (1, 2, 4):
        raise ValueError(f"steps_per_quarter must be 1, 2 or 4 (a divisor of the data's 4), got {steps_per_quarter}.")
    factor = STEPS_PER_QUARTER // steps_per_quarter
    if factor == 1:
        return piece
    offset = piece["downbeat"] % factor
    roll = piece["roll"][offset::factor]
    spans = np.add.reduceat(piece["onsets"][offset:], np.arange(0, len(piece["onsets"]) - offset, factor), axis=0)
    return {**piece, "roll": roll, "onsets": np.minimum(spans, 1).astype(np.uint8)[:len(roll)],
            "downbeat": piece["downbeat"] // factor, "bar_steps": piece["bar_steps"] // factor}


def music_splits(music=None, *, batch_size, seed, window_steps=WINDOW_STEPS, stride=None, max_shift=MAX_SHIFT,
                 onsets=False, data_dir=None, generated_data_dir=None, download=True, meters=("4/4",),
                 skip_bad=False, eval_batch_size=64, max_train_windows=0, max_test_windows=0,
                 steps_per_quarter=STEPS_PER_QUARTER):
    """A recipe's music data: windows of the chorales (or of a folder), batched, as `Splits`.

    Training windows are shuffled and transposed (`random_transpositions`); validation and test
    windows are neither, so every run measures on the same windows.

    Args:
        music: a folder of your own files (`--music DIR`), or None for the chorales.
        batch_size: training windows per batch.
        seed: the shuffle's and the transpositions' seed.
        window_steps: steps per window (64: four bars of 4/4).
        stride: steps between windows' starts; None: one bar.
        max_shift: the largest transposition, in semitones; 0 turns transposing off.
        onsets: windows of (rolls, onsets) pairs instead of rolls alone.
        data_dir: see `load_pieces`.
        generated_data_dir: see `load_pieces`.
        download: see `load_pieces`.
        meters: see `load_pieces`.
        skip_bad: see `load_pieces`.
        eval_batch_size: validation and test windows per batch.
        max_train_windows: keep only the first this many training windows (0: all).
        max_test_windows: keep only the first this many validation and test windows each (0:
            all).
        steps_per_quarter: the grid: 4 (sixteenth notes, the data's own), 2 or 1 (quarter
            notes, as the JSB Chorales benchmark has them; `coarser`). `window_steps` and
            `stride` count steps of this grid.

    Returns:
        Splits: `train` (`Batches` of 1-tuples (rolls,), uint8 [batch, window_steps,
            NUM_PITCHES], or with `onsets` pairs (rolls, onsets)), `validation`
            (None where no piece is held out) and `test` batched likewise, `info` (the pieces'
            and the windows' counts, the pitch range, the split rule), `sources` (the whole
            pieces, by split).

    Raises:
        DataError: as `load_pieces`, or no training or test piece is as long as a window.

    Example:

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for i in range(3):                  # three 6-bar pieces: a chromatic scale up from C4, C#4, D4
    ...     scale = np.eye(NUM_PITCHES, dtype=np.uint8)[24 + i + np.arange(96) % 12]
    ...     _ = piano_roll_to_midi(scale, folder / f"{i}.mid")
    >>> splits = music_splits(folder, batch_size=4, seed=0)
    >>> next(iter(splits.train.dataset))[0].shape, splits.info["train_windows"]
    (TensorShape([4, 64, 46]), 6)
    """
    pieces = load_pieces(music, data_dir=data_dir, generated_data_dir=generated_data_dir, download=download,
                         meters=meters, skip_bad=skip_bad)
    pieces.update({s: [coarser(p, steps_per_quarter) for p in pieces[s]] for s in SPLITS})
    info = dict(pieces["info"], window_steps=window_steps, window_stride=stride or "one bar",
                max_shift=max_shift, steps_per_quarter=steps_per_quarter)
    cut = {s: windows(pieces[s], window_steps, stride, onsets=onsets) for s in SPLITS}
    for s, most in (("train", max_train_windows), ("validation", max_test_windows), ("test", max_test_windows)):
        if most:
            cut[s] = tuple(c[:most] for c in cut[s]) if onsets else cut[s][:most]
        info[f"{s}_windows"] = len(cut[s][0] if onsets else cut[s])
    info.update(train_examples=info["train_windows"], test_examples=info["test_windows"], pitches=NUM_PITCHES)
    for s in ("train", "test"):
        if not info[f"{s}_windows"]:
            longest = max((len(p["roll"]) - p["downbeat"] for p in pieces[s]), default=0)
            raise DataError(f"No {s} piece of {info['name']} is as long as a {window_steps}-step window (the longest "
                            f"has {longest} steps from its first bar line): lower the window's steps.")
    # Tuples, (rolls,) or (rolls, onsets), as every dataset of the zoo's recipes gives (inputs, ...).
    ds = {s: tf.data.Dataset.from_tensor_slices(cut[s] if onsets else (cut[s],)) for s in SPLITS}
    transposed = random_transpositions(max_shift, seed=seed) if max_shift else None
    return Splits(
        train=shuffled_batches(ds["train"], batch_size, seed=seed, batch_map=transposed),
        validation=batched(ds["validation"], eval_batch_size) if info["validation_windows"] else None,
        test=batched(ds["test"], eval_batch_size),
        info=info, sources={s: pieces[s] for s in SPLITS})


def read_music_folder(folder, *, skip_bad=False, low=PITCH_LOW, high=PITCH_HIGH):
    """The MIDI and MusicXML files of a folder (and its sub-folders) as pieces, like the chorales.

    Each file is parsed by music21 and drawn by `bach_chorales.score_to_piece`, the chorales'
    own conversion: every part's pitched notes on one sixteenth-note roll (drums are left out).
    Files and folders whose names start with "." are ignored.

    Args:
        folder: the folder (str or Path; "~" is expanded).
        skip_bad: skip the files that cannot be used (with a printed list) instead of refusing
            the folder.
        low: the lowest MIDI pitch a file may use (the roll's column 0).
        high: the highest.

    Returns:
        list[dict]: one piece per file, in file-name order: "name" (its path within `folder`),
            "roll", "onsets", "downbeat", "bar_steps", "meter", "key", "key_sharps" and "parts"
            (see `score_to_piece`).

    Raises:
        DataError: the folder does not exist or holds no such file; a file cannot be parsed,
            has no notes or notes outside `low` … `high` (each named, with the fix; unless
            `skip_bad`); or no file is usable; or music21 is not installed.

    Example:

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = piano_roll_to_midi(np.eye(8, NUM_PITCHES, dtype=np.uint8), folder / "scale.mid")
    >>> [(p["name"], p["roll"].shape, p["meter"]) for p in read_music_folder(folder)]
    [('scale.mid', (8, 46), '4/4')]
    >>> (folder / "broken.mid").write_bytes(b"not MIDI")
    8
    >>> read_music_folder(folder)
    Traceback (most recent call last):
    ...
    zoo.errors.DataError: 1 of the 2 files of ... cannot be used: broken.mid: ...
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"--music {folder}: no such folder.")
    folder = folder.resolve()
    files = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                   and not any(part.startswith(".") for part in f.relative_to(folder).parts))
    if not files:
        raise DataError(f"{folder} holds no MIDI or MusicXML files ({', '.join(SUFFIXES)}), in it or in sub-folders.")
    m21 = bc.music21_module()
    pieces, bad = [], []
    for path in files:
        name = str(path.relative_to(folder))
        try:
            # forceSource: read the file itself, never a pickle music21 cached of an older copy
            score = m21.converter.parse(str(path), forceSource=True)
        except Exception as e:  # noqa: BLE001  any parser failure: a corrupt or unknown file
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            bad.append(f"{name}: music21 cannot read it ({type(e).__name__}{': ' + first[:120] if first else ''})")
            continue
        try:
            pieces.append({"name": name, **bc.score_to_piece(score, low=low, high=high)})
        except ValueError as e:
            bad.append(f"{name}: {e}")
    if bad and not skip_bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise DataError(f"{len(bad)} of the {len(files)} files of {folder} cannot be used: {shown}. Mend or remove "
                        f"them (transpose music outside {bc.pitch_name(low)} … {bc.pitch_name(high)} by octaves), "
                        "or skip them (skip_bad=True).")
    if bad:
        print(f"Skipped {len(bad)} of the {len(files)} files of {folder}: " + "; ".join(bad[:5]), file=sys.stderr)
    if not pieces:
        raise DataError(f"None of the {len(files)} files of {folder} can be used (e.g. {bad[0]}).")
    return pieces


def note_runs(sounding, onsets=None):
    """The notes of piano rolls: each run of consecutive sounding steps of a pitch.

    With `onsets` a run is also broken where a new note starts, so repeated notes stay
    repeated (without them they merge into one).

    Args:
        sounding: [..., steps, pitches] booleans (or 0 and 1): where a pitch sounds.
        onsets: like `sounding`, true where a note starts; None: none.

    Returns:
        tuple: (where, starts, ends): `where` is a tuple of int arrays, the leading indices of
            each note's roll then its pitch column (as `np.nonzero` gives them); `starts` and
            `ends` are its first step and the step after its last. One entry per note, in
            (roll, pitch, step) order.

    Raises:
        ValueError: `onsets` has another shape than `sounding`.

    Examples:
        >>> (pitch,), starts, ends = note_runs(np.array([[1], [1], [0], [1]]))
        >>> pitch.tolist(), starts.tolist(), ends.tolist()
        ([0, 0], [0, 3], [2, 4])
        >>> _, starts, ends = note_runs(np.array([[1], [1], [1]]), onsets=np.array([[1], [0], [1]]))
        >>> starts.tolist(), ends.tolist()             # the onset at step 2 splits the run
        ([0, 2], [2, 3])
    """
    sounding = np.asarray(sounding).astype(bool)
    starting = np.zeros_like(sounding) if onsets is None else np.asarray(onsets).astype(bool)
    if starting.shape != sounding.shape:
        raise ValueError(f"onsets have shape {starting.shape}, the roll {sounding.shape}: they must match.")
    silence = np.zeros_like(sounding[..., :1, :])
    before = np.concatenate([silence, sounding[..., :-1, :]], axis=-2)
    after = np.concatenate([sounding[..., 1:, :], silence], axis=-2)
    onset_after = np.concatenate([starting[..., 1:, :], silence], axis=-2)
    first = sounding & (~before | starting)
    last = sounding & (~after | onset_after)
    # In (roll, pitch, step) order a note's first and last steps alternate, so they pair up.
    *where, starts = np.nonzero(np.swapaxes(first, -1, -2))
    *_, lasts = np.nonzero(np.swapaxes(last, -1, -2))
    return tuple(where), starts, lasts + 1


def piano_roll_to_midi(roll, path, *, tempo=80, onsets=None, meter="4/4", low=PITCH_LOW, threshold=0.5,
                       steps_per_quarter=STEPS_PER_QUARTER):
    """Write a piano roll as a MIDI file (one track), atomically: a killed write leaves no file.

    A note is a run of steps where its pitch sounds; with `onsets` a run is also broken where a
    new note starts, so repeated notes stay repeated (without them they merge into one).

    Args:
        roll: [steps, pitches] array or tensor; a value above `threshold` sounds (so a model's
            probabilities can be written as they are).
        path: the file to write (its folder is made).
        tempo: quarter notes per minute.
        onsets: [steps, pitches] like `roll`, above `threshold` where a note starts; None: none.
        meter: the time signature to write.
        low: the MIDI pitch of the roll's column 0.
        threshold: the value above which a step sounds.
        steps_per_quarter: the roll's grid (4: sixteenth notes).

    Returns:
        Path: `path`.

    Raises:
        ValueError: `roll` is not two-dimensional, or `onsets` has another shape.
        DataError: music21 is not installed.

    Example:

    >>> import tempfile
    >>> roll = np.zeros((16, NUM_PITCHES), np.uint8)
    >>> roll[:, 60 - PITCH_LOW] = 1                      # middle C for a whole bar
    >>> path = piano_roll_to_midi(roll, Path(tempfile.mkdtemp()) / "c.mid", tempo=120)
    >>> path.name, path.stat().st_size > 0
    ('c.mid', True)
    """
    m21 = bc.music21_module()
    sounding = np.asarray(roll) > threshold
    if sounding.ndim != 2:
        raise ValueError(f"A piano roll is [steps, pitches], got shape {sounding.shape}.")
    (columns,), starts, ends = note_runs(sounding, None if onsets is None else np.asarray(onsets) > threshold)
    part = m21.stream.Part()
    part.insert(0, m21.tempo.MetronomeMark(number=tempo))
    part.insert(0, m21.meter.TimeSignature(meter))
    for column, start, end in zip(columns, starts, ends):
        part.insert(start / steps_per_quarter,
                    m21.note.Note(low + int(column), quarterLength=(end - start) / steps_per_quarter))
    with atomic_path(path) as tmp:
        m21.stream.Score([part]).write("midi", fp=str(tmp))
    return Path(path)


def piano_roll_to_wav(roll, path, *, tempo=80, low=PITCH_LOW, sample_rate=22_050, threshold=0.5,
                      steps_per_quarter=STEPS_PER_QUARTER):
    """Write a piano roll as audio (a mono 16-bit WAV file) for listening, atomically.

    No synthesiser is needed: each note is a sine tone with its first three harmonics and a
    short attack and release, so the music can be heard on any machine. For a real
    instrument's sound, play the MIDI file (`piano_roll_to_midi`) through a synthesiser.

    Args:
        roll: [steps, pitches] array or tensor; a value above `threshold` sounds.
        path: the file to write (its folder is made).
        tempo: quarter notes per minute.
        low: the MIDI pitch of the roll's column 0.
        sample_rate: samples per second.
        threshold: the value above which a step sounds.
        steps_per_quarter: the roll's grid (4: sixteenth notes).

    Returns:
        Path: `path`.

    Raises:
        ValueError: `roll` is not two-dimensional.

    Example:

    >>> import tempfile, wave
    >>> roll = np.zeros((16, NUM_PITCHES), np.uint8)
    >>> roll[:, 69 - PITCH_LOW] = 1                      # A4 (440 Hz) for a bar
    >>> path = piano_roll_to_wav(roll, Path(tempfile.mkdtemp()) / "a.wav", tempo=120)
    >>> with wave.open(str(path)) as w:                  # 16 sixteenths at 120 per minute: 2 s
    ...     round(w.getnframes() / w.getframerate(), 2)
    2.0
    """
    import wave

    sounding = np.asarray(roll) > threshold
    if sounding.ndim != 2:
        raise ValueError(f"A piano roll is [steps, pitches], got shape {sounding.shape}.")
    step_samples = int(round(sample_rate * 60.0 / tempo / steps_per_quarter))
    audio = np.zeros(len(sounding) * step_samples)
    fade = int(0.01 * sample_rate)  # 10 ms attack and release: no clicks at a note's ends
    (columns,), starts, ends = note_runs(sounding)
    for column, start, end in zip(columns, starts, ends):
        frequency = 440.0 * 2.0 ** ((low + column - 69) / 12.0)
        t = np.arange((end - start) * step_samples) / sample_rate
        tone = sum(np.sin(2 * np.pi * k * frequency * t) / k ** 2 for k in (1, 2, 3))
        envelope = np.minimum(1.0, np.minimum(np.arange(len(t)), np.arange(len(t))[::-1]) / max(fade, 1))
        audio[start * step_samples:end * step_samples] += tone * envelope
    peak = np.max(np.abs(audio)) or 1.0
    pcm = (audio / peak * 0.8 * 32767).astype("<i2")
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm.tobytes())
    return Path(path)
