"""Music data (issue #41): the chorales' piano rolls and their fixed split by hymn, a folder of one's
own MIDI and MusicXML files read into the same rolls, windows, transpositions that keep every
note in range, MIDI written back, and the bad folders, each refused with a message that names
the file and the fix. Building all 350 scores of the corpus takes a minute: that test is slow."""

import collections
import re

import numpy as np
import pytest
import tensorflow as tf

music21 = pytest.importorskip("music21", reason='the music data needs music21: pip install "lstm-gan-zoo[music]"')

from zoo.data import music  # noqa: E402  after the skip: it reads scores with music21
from zoo.datasets import bach_chorales as bc  # noqa: E402
from zoo.errors import DataError  # noqa: E402

from music21 import key, meter, note, stream  # noqa: E402


def four_voices(pickup=True):
    """A four-part score in 4/4 and G major: a one-beat pickup (a unison of three voices), then two
    bars with a repeated note (which the roll cannot tell from a held one, the onsets can)."""
    bars = {  # voice: (its pickup note, then its notes per bar as (MIDI pitch, quarter lengths))
        "Soprano": (62, [[(67, 1), (71, 1), (71, 1), (69, 1)], [(67, 4)]]),
        "Alto": (62, [[(62, 2), (62, 2)], [(62, 4)]]),
        "Tenor": (62, [[(59, 1), (55, 1), (57, 2)], [(59, 4)]]),
        "Bass": (43, [[(43, 4)], [(50, 2), (43, 2)]]),
    }
    parts = []
    for name, (first, notes) in bars.items():
        part = stream.Part(id=name)
        part.partName = name
        measures = ([stream.Measure([note.Note(first, quarterLength=1)], number=0)] if pickup else []) + [
            stream.Measure([note.Note(midi, quarterLength=length) for midi, length in bar], number=i + 1)
            for i, bar in enumerate(notes)]
        measures[0].insert(0, meter.TimeSignature("4/4"))
        measures[0].insert(0, key.Key("G"))
        if pickup:
            measures[0].paddingLeft = 3  # an anacrusis: the bar's first three beats are not there
        part.append(measures)
        parts.append(part)
    return stream.Score(parts)


@pytest.fixture
def music_folder(tmp_path):
    """The same four-part score as MusicXML, compressed MusicXML (in a sub-folder) and MIDI, and
    a piano roll written by `piano_roll_to_midi` with repeated notes."""
    folder = tmp_path / "music"
    (folder / "more").mkdir(parents=True)
    score = four_voices()
    score.write("musicxml", fp=str(folder / "chorale.musicxml"))
    score.write("mxl", fp=str(folder / "more" / "chorale.mxl"))
    four_voices(pickup=False).write("midi", fp=str(folder / "chorale.mid"))
    roll, onsets = np.zeros((32, bc.NUM_PITCHES), np.uint8), np.zeros((32, bc.NUM_PITCHES), np.uint8)
    roll[:, 60 - bc.PITCH_LOW] = 1  # C4 held for two bars ...
    onsets[[0, 16], 60 - bc.PITCH_LOW] = 1  # ... struck twice
    roll[4:12, 64 - bc.PITCH_LOW] = 1
    onsets[4, 64 - bc.PITCH_LOW] = 1
    music.piano_roll_to_midi(roll, folder / "written.midi", tempo=100, onsets=onsets)
    (folder / "notes.txt").write_text("not music: ignored")
    (folder / ".hidden.mid").write_bytes(b"ignored too")
    return folder, score, (roll, onsets)


def test_a_folder_reads_into_the_rolls_its_scores_make(music_folder):
    folder, score, (roll, onsets) = music_folder
    pieces = {p["name"]: p for p in music.read_music_folder(folder)}
    assert sorted(pieces) == ["chorale.mid", "chorale.musicxml", "more/chorale.mxl", "written.midi"]
    expected = bc.score_to_piece(score)
    assert expected["roll"].shape == (36, bc.NUM_PITCHES)  # a beat of pickup and two bars
    assert expected["downbeat"] == 4 and expected["bar_steps"] == 16 and expected["meter"] == "4/4"
    assert expected["key"] == "G major" and expected["key_sharps"] == 1 and expected["parts"] == 4
    for name in ("chorale.musicxml", "more/chorale.mxl"):
        piece = pieces[name]
        assert np.array_equal(piece["roll"], expected["roll"]) and np.array_equal(piece["onsets"], expected["onsets"])
        assert (piece["downbeat"], piece["meter"], piece["key"]) == (4, "4/4", "G major")
    # MIDI has no pickup: the same notes from the first bar line on
    from_midi = pieces["chorale.mid"]
    assert np.array_equal(from_midi["roll"], expected["roll"][4:]) and from_midi["downbeat"] == 0
    assert np.array_equal(from_midi["onsets"], expected["onsets"][4:])
    # The repeated soprano B and alto D are one run in the roll, two onsets
    b4 = expected["onsets"][:, 71 - bc.PITCH_LOW]
    assert expected["roll"][8:16, 71 - bc.PITCH_LOW].all() and b4[8] == b4[12] == 1
    assert expected["roll"].sum(axis=1).max() <= 4
    # A roll written with its onsets reads back as it was: the repeated C stays two notes
    assert np.array_equal(pieces["written.midi"]["roll"], roll)
    assert np.array_equal(pieces["written.midi"]["onsets"], onsets)


def test_a_roll_without_onsets_is_written_as_held_notes(tmp_path):
    roll = np.zeros((8, bc.NUM_PITCHES), np.float32)
    roll[:, 10] = 0.9  # probabilities, as a model gives them
    roll[2, 11] = 0.2
    path = music.piano_roll_to_midi(roll, tmp_path / "held.mid")
    piece = music.read_music_folder(tmp_path)[0]
    assert np.array_equal(piece["roll"], (roll > 0.5).astype(np.uint8))
    assert piece["onsets"][:, 10].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # the write left no temporary file


def test_a_chorale_of_the_corpus_is_four_voices_on_the_grid():
    piece = bc.score_to_piece(music21.corpus.parse("bach/bwv269"))  # Riemenschneider 1, in 3/4
    assert piece["parts"] == 4 and piece["meter"] == "3/4" and piece["bar_steps"] == 12
    assert piece["downbeat"] == 4 and piece["key"] == "G major"
    assert piece["roll"].dtype == np.uint8 and piece["roll"].shape[1] == bc.NUM_PITCHES
    assert piece["roll"].sum(axis=1).max() == 4 and (piece["onsets"] <= piece["roll"]).all()


def test_windows_start_on_bar_lines_and_have_the_right_shape(music_folder):
    folder, _, _ = music_folder
    pieces = music.read_music_folder(folder)
    rolls, onsets = music.windows(pieces, length=16, onsets=True)
    # 36 steps after a 4-step pickup: two bars; 32 steps without one: two bars; each piece 2 windows
    assert rolls.shape == onsets.shape == (8, 16, bc.NUM_PITCHES) and rolls.dtype == np.uint8
    by_name = {p["name"]: p for p in pieces}
    assert np.array_equal(rolls[2], by_name["chorale.musicxml"]["roll"][4:20])
    assert music.windows(pieces, length=8, stride=4).shape == (4 * 7, 8, bc.NUM_PITCHES)
    assert music.windows(pieces, length=64).shape == (0, 64, bc.NUM_PITCHES)  # none is that long
    with pytest.raises(ValueError, match="at least 1"):
        music.windows(pieces, length=0)


def test_transpositions_keep_every_note_in_range_and_repeat_with_the_seed():
    rng = np.random.default_rng(0)
    rolls = np.zeros((64, 16, bc.NUM_PITCHES), np.uint8)
    for i, roll in enumerate(rolls):  # windows near the bottom, the top and in the middle of the range
        low = [0, 2, bc.NUM_PITCHES - 10, 15][i % 4]
        roll[np.arange(16)[:, None], low + rng.integers(0, 8, (16, 3))] = 1
    rolls[5] = 0  # a silent window stays silent
    onsets = rolls.copy()
    move = music.random_transpositions(6, seed=3)
    moved, moved_onsets = (t.numpy() for t in move(tf.constant(7, tf.int64), (tf.constant(rolls), tf.constant(onsets))))
    assert moved.shape == rolls.shape and moved.dtype == np.uint8
    assert np.array_equal(moved.sum(axis=(1, 2)), rolls.sum(axis=(1, 2)))  # nothing fell off the range
    assert np.array_equal(moved, moved_onsets)  # rolls and onsets move alike
    shifts = []
    for before, after in zip(rolls, moved):
        if not before.any():
            continue
        shift = int(np.flatnonzero(after.any(0))[0] - np.flatnonzero(before.any(0))[0])
        assert -6 <= shift <= 6 and np.array_equal(np.roll(before, shift, axis=1), after)
        shifts.append(shift)
    assert len(set(shifts)) > 5  # the windows got different keys
    assert shifts.count(0) < len(shifts) / 2
    again = move(tf.constant(7, tf.int64), tf.constant(rolls)).numpy()
    assert np.array_equal(again, moved)  # the same (seed, batch): the same shifts
    assert not np.array_equal(move(tf.constant(8, tf.int64), tf.constant(rolls)).numpy(), moved)
    assert np.array_equal(music.random_transpositions(0, seed=3)(tf.constant(7, tf.int64), tf.constant(rolls)), rolls)


def test_a_folder_splits_by_file_name_the_same_way_every_time(music_folder):
    folder, _, _ = music_folder
    splits = music.music_splits(folder, batch_size=2, seed=0, window_steps=16)
    names = {s: [p["name"] for p in splits.sources[s]] for s in music.SPLITS}
    assert sum(map(len, names.values())) == 4 and names["test"] and names["train"]
    assert names == {s: [p["name"] for p in ps] for s, ps in music.music_splits(
        folder, batch_size=2, seed=0, window_steps=16).sources.items()}
    assert next(iter(splits.train.dataset))[0].shape == (2, 16, bc.NUM_PITCHES)
    assert splits.info["train_windows"] == 2 * len(names["train"])
    assert splits.info["pitch_low"] == bc.PITCH_LOW and splits.info["pitch_high"] == bc.PITCH_HIGH


def test_the_split_rule_keeps_groups_together_and_never_changes():
    titles = [f"hymn {i % 40}" for i in range(100)]  # 40 hymns, 2 or 3 settings each
    splits = bc.assign_splits(titles)
    assert splits == bc.assign_splits(titles)
    by_title = collections.defaultdict(set)
    for title, split in zip(titles, splits):
        by_title[title].add(split)
    assert all(len(s) == 1 for s in by_title.values())  # every setting of a hymn in one split
    counts = collections.Counter(splits)
    assert 10 <= counts["test"] <= 12 and 10 <= counts["validation"] <= 12 and counts["train"] >= 76
    # A group's split depends on its name only, not on the items' order
    order = np.random.default_rng(1).permutation(100)
    assert [splits[i] for i in order] == bc.assign_splits([titles[i] for i in order])
    assert bc.assign_splits(["only"]) == ["train"]  # never an empty training split
    assert sorted(bc.assign_splits(["a", "b"])) == ["test", "train"]


BAD_FOLDERS = {
    "missing": r"--music .*nowhere: no such folder\.",
    "empty": r"holds no MIDI or MusicXML files \(\.mid, \.midi, \.xml, \.musicxml, \.mxl\)",
    "corrupt": r"1 of the 2 files of .* cannot be used: broken\.mid: music21 cannot read it .* Mend or remove them",
    "out of range": r"1 of the 2 files of .* cannot be used: low\.mid: its notes span C1 … C1 \(MIDI 24 … 24\), "
                    r"outside the C2 … A5 \(MIDI 36 … 81\).*\(transpose music outside C2 … A5 by octaves\)",
    "no notes": r"empty\.musicxml: it has no pitched notes",
}


@pytest.mark.parametrize("case, message", [pytest.param(c, m, id=c) for c, m in BAD_FOLDERS.items()])
def test_a_bad_folder_is_refused_with_what_to_do(tmp_path, case, message):
    folder = tmp_path / "nowhere" if case == "missing" else tmp_path
    good = np.zeros((4, bc.NUM_PITCHES), np.uint8)
    good[:, 20] = 1
    if case == "empty":
        (tmp_path / "readme.txt").write_text("no music here")
    elif case != "missing":
        music.piano_roll_to_midi(good, tmp_path / "good.mid")
    if case == "corrupt":
        (tmp_path / "broken.mid").write_bytes(b"MThd not really")
    elif case == "out of range":
        stream.Score([stream.Part([note.Note(24)])]).write("midi", fp=str(tmp_path / "low.mid"))
    elif case == "no notes":
        stream.Score([stream.Part([note.Rest(quarterLength=4)])]).write("musicxml", fp=str(tmp_path / "empty.musicxml"))
    with pytest.raises(DataError, match=message):
        music.read_music_folder(folder)
    if case not in ("missing", "empty"):  # skipping the bad file leaves the good one
        assert [p["name"] for p in music.read_music_folder(folder, skip_bad=True)] == ["good.mid"]
        with pytest.raises(DataError, match=r"one usable piece \(good\.mid\): it needs two at least"):
            music.load_pieces(folder, skip_bad=True)
    if case == "corrupt":
        (tmp_path / "good.mid").unlink()
        with pytest.raises(DataError, match=r"None of the 1 files .* can be used \(e\.g\. broken\.mid"):
            music.read_music_folder(folder, skip_bad=True)


def test_unprepared_chorales_are_an_error_when_preparing_is_off(tmp_path):
    with pytest.raises(DataError, match=r"bach_chorales is not prepared in .*data or .*generated \(and preparing it "
                                        r"is off\)"):
        music.load_pieces(data_dir=tmp_path / "data", generated_data_dir=tmp_path / "generated", download=False)
    with pytest.raises(DataError, match=r"meters are 4/4, 3/4; asked for 6/8"):
        music.load_pieces(meters=("6/8",), data_dir=tmp_path, download=False)
    assert not (tmp_path / "generated").exists()


@pytest.mark.slow
def test_the_chorales_build_with_a_fixed_split_by_hymn(tmp_path):
    pieces = music.load_pieces(data_dir=tmp_path / "data", generated_data_dir=tmp_path / "generated", meters=None)
    counts = {s: len(pieces[s]) for s in music.SPLITS}
    assert counts == {"train": 262, "validation": 33, "test": 33}
    import tensorflow_datasets as tfds
    builder = bc.BachChorales(data_dir=str(tmp_path / "generated"))
    examples = {s: list(tfds.as_numpy(builder.as_dataset(split=s))) for s in music.SPLITS}
    titles = {s: {e["title"] for e in examples[s]} for s in music.SPLITS}
    names = {s: {e["bwv"] for e in examples[s]} for s in music.SPLITS}
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert not titles[a] & titles[b] and not names[a] & names[b]
    assert sum(map(len, names.values())) == 328
    every = [e for s in music.SPLITS for e in examples[s]]
    sounding = np.concatenate([e["roll"] for e in every]).any(axis=0)
    assert sounding[0] and sounding[-1]  # the range is exactly the chorales' (C2 … A5)
    assert all(e["roll"].sum(axis=1).max() <= 4 for e in every)
    assert collections.Counter(e["meter"].decode() for e in every) == {"4/4": 296, "3/4": 32}
    # The split is the rule's, not the build's: the same by the titles alone
    ordered = sorted(every, key=lambda e: e["riemenschneider"])
    rule = bc.assign_splits([e["title"].decode() for e in ordered])
    assert [s for s in rule] == [next(s for s in music.SPLITS if e["bwv"] in names[s]) for e in ordered]
    four = music.music_splits(data_dir=tmp_path / "data", generated_data_dir=tmp_path / "generated", batch_size=32,
                              seed=0)
    assert four.info["train_pieces"] == 236 and next(iter(four.train.dataset))[0].shape == (32, 64, bc.NUM_PITCHES)
    assert re.search("hymn", four.info["split"])
