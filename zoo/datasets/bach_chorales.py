"""`bach_chorales`: Bach's four-part chorales from music21's corpus as piano rolls on a sixteenth-note
grid, one example per chorale (whole, of its own length), split by hymn into train / validation / test.

    builder = BachChorales(data_dir="~/tensorflow_datasets")
    builder.download_and_prepare()     # parses music21's corpus (35 s on 2 cores); nothing is downloaded
    train = builder.as_dataset(split="train")   # {"roll": uint8 [steps, 46], "onsets": ..., ...}

Each step is a sixteenth note and holds the pitches that sound at its start (a note shorter than a
sixteenth that starts between two steps is not seen: ornamental 32nds in two chorales). `roll` is
multi-hot over the MIDI pitches `PITCH_LOW` … `PITCH_HIGH` (36 … 81, C2 … A5: the lowest bass and
the highest soprano note of the chorales kept, so 46 pitches); `onsets` marks the steps where a
note starts, which a roll alone cannot tell from a held note (two repeated quarter notes and one
half note fill the same steps): 16 % of the chorales' notes repeat the pitch that sounded the
step before, and would vanish into it. A step has at most four notes (four on 90 % of the steps,
three on 7.5 %: where two voices sing the same pitch the roll has one, or a voice rests; 1 % are
silent). `downbeat` is the first step on a bar line (4 after a one-beat pickup),
`bar_steps` the steps in a bar (16 in 4/4, 12 in 3/4). `key` is the key the score names (e.g.
"G major"; "" in the four that give only a signature), `key_sharps` its signature (−4 … 4
here). Cutting windows and transposing are the data layer's work (`zoo.data.music`).

What is kept. `music21.corpus.chorales.Iterator()` walks Riemenschneider's 371 numbers through
the list `ChoraleListRKBWV`; they name 350 distinct scores (21 numbers name a score another
number already names, kept once, under its lowest number). Of those, 331 have exactly four
parts (the others add instruments: horns, trumpets, a continuo) and 328 of these one time
signature throughout, 4/4 (296) or 3/4 (32); dropped: two that change between 3/4 and 4/4
(BWV 304, 362) and one in 3/2 (BWV 123.6). 328 chorales remain (222 begin with a one-beat
pickup, one with a two-beat pickup), 96 to 772 steps long (median 192: 12 bars of 4/4).

The split is by hymn, fixed: the 328 chorales are settings of 222 hymns (up to six settings of one:
"Jesu, meine Freude"), and every setting of a hymn is in the same split, so a
test chorale's melody was not seen in training under the same title. The hymns are ordered by
the SHA-256 of their title; the first fill the test split until it holds 10 % of the chorales,
the next the validation split until it holds 10 %, the rest are training: 262 train, 33
validation, 33 test chorales. The rule depends on nothing but the titles (`assign_splits`).
Not caught: a melody sung to two texts (the Passion Chorale is "Herzlich tut mich verlangen" and
"O Haupt voll Blut und Wunden") counts as two hymns.

Licence. Bach's music is in the public domain. The encodings are music21's corpus
(`music21/corpus/bach/`; the files credit Margaret Greentree, jsbchorales.net), which music21 distributes
"with the permission of the encoders … Some encodings included in the corpus may not be used for
commercial uses or have other restrictions" (music21/corpus/license.txt); music21's own code is
BSD-3-Clause. Cite music21 (Cuthbert and Ariza, 2010) when publishing results on this dataset.
"""

import hashlib
import math

import numpy as np
import tensorflow_datasets as tfds

from zoo.errors import DataError

PITCH_LOW = 36  # C2: the lowest bass note of the chorales kept
PITCH_HIGH = 81  # A5: the highest soprano note
NUM_PITCHES = PITCH_HIGH - PITCH_LOW + 1
STEPS_PER_QUARTER = 4  # a sixteenth-note grid
METERS = ("4/4", "3/4")  # a chorale in one of these throughout is kept
VOICES = 4  # soprano, alto, tenor, bass
SPLIT_FRACTIONS = (("test", 0.1), ("validation", 0.1))  # filled in this order; the rest is train
CITATION = """@inproceedings{cuthbert2010music21,
  title={music21: A Toolkit for Computer-Aided Musicology and Symbolic Music Data},
  author={Cuthbert, Michael Scott and Ariza, Christopher},
  booktitle={Proceedings of the 11th International Society for Music Information Retrieval Conference (ISMIR)},
  pages={637--642},
  year={2010}
}"""


def music21_module():
    """music21, imported on first use: an optional dependency (the `music` extra).

    Returns:
        module: the `music21` package.

    Raises:
        DataError: music21 is not installed; the message says how to install it.

    Example:

    >>> music21_module().__name__
    'music21'
    """
    try:
        import music21
    except ImportError:
        raise DataError('Music needs music21 to read scores and MIDI files: pip install "lstm-gan-zoo[music]".'
                        ) from None
    return music21


def pitch_name(midi):
    """The name of a MIDI pitch with its octave (60 → "C4"), for messages and documentation.

    Args:
        midi: a MIDI pitch number (int).

    Returns:
        str: the pitch's name, sharps spelled with "#".

    Example:

    >>> pitch_name(PITCH_LOW), pitch_name(PITCH_HIGH)
    ('C2', 'A5')
    """
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    return f"{names[midi % 12]}{midi // 12 - 1}"


def score_to_piece(score, *, low=PITCH_LOW, high=PITCH_HIGH):
    """A music21 score as the dataset's representation: piano roll, onsets, bar lines, meter, key.

    Every pitched note of every part is drawn on a sixteenth-note grid: step t holds the pitches
    sounding at quarter length t / 4 (notes tied together count as one note; unpitched percussion
    and grace notes are left out), and the roll ends where the last note ends. The same function
    turns the chorales and a user's own files (`zoo.data.music.read_music_folder`) into
    examples, so both read alike.

    Args:
        score: a `music21.stream.Score` (or any stream of notes, e.g. a parsed MIDI file).
        low: the lowest MIDI pitch the roll has a row for (the roll's column 0).
        high: the highest MIDI pitch the roll has a row for.

    Returns:
        dict: "roll" and "onsets", uint8 [steps, high − low + 1] (1 where a pitch sounds, resp.
            starts); "downbeat", the first step on a bar line (after a pickup); "bar_steps", the
            steps in a bar of the first time signature (16 where there is none: 4/4); "meter",
            the distinct time signatures, comma-separated ("4/4", or "" where there is none);
            "key", the key the score names ("G major", or "" where it names only a signature);
            "key_sharps", the first key signature's sharps (flats negative, 0 where there is none);
            "parts", the number of parts.

    Raises:
        ValueError: the score has no pitched notes, or a pitch outside `low` … `high` (the message
            names the lowest and highest pitch).

    Example:

    >>> from music21 import note, stream
    >>> part = stream.Part([note.Note("C4", quarterLength=1), note.Note("C4", quarterLength=0.5)])
    >>> piece = score_to_piece(stream.Score([part]))
    >>> piece["roll"][:, 60 - PITCH_LOW], piece["onsets"][:, 60 - PITCH_LOW]
    (array([1, 1, 1, 1, 1, 1], dtype=uint8), array([1, 0, 0, 0, 1, 0], dtype=uint8))
    """
    m21 = music21_module()
    score = score.stripTies(inPlace=False)  # a tied note is one note: one onset
    notes = []
    for element in score.flatten().notes:
        if isinstance(element, (m21.note.Unpitched, m21.percussion.PercussionChord)):
            continue  # a drum has no pitch to draw
        start, length = float(element.offset), float(element.quarterLength)
        notes += [(start, start + length, p.midi) for p in element.pitches]
    if not notes:
        raise ValueError("it has no pitched notes")
    lowest, highest = min(n[2] for n in notes), max(n[2] for n in notes)
    if lowest < low or highest > high:
        raise ValueError(f"its notes span {pitch_name(lowest)} … {pitch_name(highest)} (MIDI {lowest} … {highest}), "
                         f"outside the {pitch_name(low)} … {pitch_name(high)} (MIDI {low} … {high}) of the piano roll")
    # A piece ends where its last note ends: a MIDI file read back is padded with rests to its
    # last bar line, a MusicXML file is not, and the same notes should make the same roll.
    steps = math.ceil(max(n[1] for n in notes) * STEPS_PER_QUARTER - 1e-6)
    roll = np.zeros((steps, high - low + 1), np.uint8)
    onsets = np.zeros_like(roll)
    for start, end, midi in notes:
        # The steps whose start falls in [start, end): a note between two steps is not sampled.
        first = math.ceil(start * STEPS_PER_QUARTER - 1e-6)
        last = math.ceil(end * STEPS_PER_QUARTER - 1e-6)
        if first < last:
            roll[first:last, midi - low] = 1
            onsets[first, midi - low] = 1
    signatures = list(score.recurse().getElementsByClass(m21.meter.TimeSignature))
    meters = list(dict.fromkeys(ts.ratioString for ts in signatures))
    bar_steps = round(signatures[0].barDuration.quarterLength * STEPS_PER_QUARTER) if signatures else 16
    keys = list(score.recurse().getElementsByClass(m21.key.KeySignature))
    first_key = keys[0] if keys else None
    return {"roll": roll, "onsets": onsets, "downbeat": _downbeat(score, m21), "bar_steps": int(bar_steps),
            "meter": ",".join(meters), "key": str(first_key) if isinstance(first_key, m21.key.Key) else "",
            "key_sharps": int(first_key.sharps) if first_key is not None else 0,
            "parts": len(score.parts) if hasattr(score, "parts") else 1}


def _downbeat(score, m21):
    """The first step on a bar line: the length of a pickup measure (one shorter than its bar,
    as an anacrusis is written), else 0."""
    parts = score.parts if hasattr(score, "parts") and len(score.parts) else [score]
    first = parts[0].getElementsByClass(m21.stream.Measure).first()
    if first is None or first.barDuration is None:
        return 0
    length, bar = float(first.duration.quarterLength), float(first.barDuration.quarterLength)
    return round(length * STEPS_PER_QUARTER) if 0 < length < bar else 0


def assign_splits(groups):
    """The split of each item, fixed by its group's name: the same groups, the same split, anywhere.

    Groups (the chorales' hymn titles; a user's file names) are ordered by the SHA-256 of their
    name; whole groups fill the test split until it holds `SPLIT_FRACTIONS`' share of the items
    (at least one item), then the validation split likewise (none where that would leave no
    training item), and the remaining groups are training data.

    Args:
        groups: one group name (str) per item, in the items' order.

    Returns:
        list[str]: "train", "validation" or "test", one per item.

    Example:

    >>> assign_splits(["a", "b", "c", "a"])
    ['train', 'train', 'test', 'train']
    """
    sizes = {}
    for group in groups:
        sizes[group] = sizes.get(group, 0) + 1
    order = sorted(sizes, key=lambda g: hashlib.sha256(g.encode("utf-8")).hexdigest())
    total, placed, split_of = len(groups), 0, {}
    for split, fraction in SPLIT_FRACTIONS:
        want = max(1, round(fraction * total)) if split == "test" else round(fraction * total)
        filled = 0
        while order and filled < want and placed + sizes[order[0]] < total:  # keep a training item
            group = order.pop(0)
            split_of[group] = split
            filled += sizes[group]
            placed += sizes[group]
    return [split_of.get(group, "train") for group in groups]


def corpus_chorales():
    """Every chorale `BachChorales` keeps, parsed from music21's corpus, in Riemenschneider's order.

    Returns:
        tuple: (list of examples: `score_to_piece`'s dict without "parts", plus "bwv" (the score's
            name, e.g. "bwv269"), "title" (the hymn) and "riemenschneider" (its number); a dict of
            what was dropped: {reason: [bwv, ...]}).

    Example:

    >>> chorales, dropped = corpus_chorales()  # doctest: +SKIP
    >>> len(chorales), {reason: len(names) for reason, names in dropped.items()}  # doctest: +SKIP
    (328, {'not four parts': 19, 'meter changes or is not 4/4 or 3/4': 3})
    """
    m21 = music21_module()
    listing = m21.corpus.chorales.ChoraleListRKBWV().byRiemenschneider  # what chorales.Iterator() walks
    chorales, seen, dropped = [], set(), {}
    for number in sorted(listing):
        name = f"bwv{listing[number]['bwv']}"
        if name in seen:
            continue  # another number names the same score: keep it once
        seen.add(name)
        score = m21.corpus.parse(f"bach/{name}")
        meters = {ts.ratioString for ts in score.recurse().getElementsByClass(m21.meter.TimeSignature)}
        # Checked before the roll is drawn: the instruments of the dropped scores leave its range.
        reason = ("not four parts" if len(score.parts) != VOICES
                  else "meter changes or is not 4/4 or 3/4" if len(meters) != 1 or meters - set(METERS) else None)
        if reason:
            dropped.setdefault(reason, []).append(name)
            continue
        piece = score_to_piece(score)
        del piece["parts"]
        chorales.append({**piece, "bwv": name, "title": listing[number]["title"], "riemenschneider": int(number)})
    return chorales, dropped


class BachChorales(tfds.core.GeneratorBasedBuilder):
    __doc__ = __doc__
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version: 328 four-part chorales in 4/4 or 3/4, sixteenth-note grid, "
                              "split by hymn."}

    def _info(self):
        grid = tfds.features.Tensor(shape=(None, NUM_PITCHES), dtype=np.uint8, encoding=tfds.features.Encoding.ZLIB)
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "roll": grid, "onsets": grid,
                "downbeat": tfds.features.Scalar(dtype=np.int32), "bar_steps": tfds.features.Scalar(dtype=np.int32),
                "meter": tfds.features.Text(), "key": tfds.features.Text(),
                "key_sharps": tfds.features.Scalar(dtype=np.int32),
                "bwv": tfds.features.Text(), "title": tfds.features.Text(),
                "riemenschneider": tfds.features.Scalar(dtype=np.int32),
            }),
            homepage="https://www.music21.org/music21docs/moduleReference/moduleCorpusChorales.html",
            citation=CITATION,
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download: the scores come with music21
        chorales, _ = corpus_chorales()
        splits = assign_splits([c["title"] for c in chorales])
        return {name: self._generate_examples([c for c, s in zip(chorales, splits) if s == name])
                for name in ("train", "validation", "test")}

    def _generate_examples(self, chorales):
        for chorale in chorales:
            yield chorale["bwv"], chorale
