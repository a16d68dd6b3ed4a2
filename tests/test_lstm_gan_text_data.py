"""The text GAN's recipe and the text data it reads: the phase switch, corpus checks, word-level
vocabularies and BLEU, the shipped COCO captions card, and the one tokenizer that the training
data, the model and its export share (the word rule is Texygen's)."""

import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings, strategies as st

import zoo
from recipes.lstm_gan_text import recipe
from zoo import cards
from zoo.data import text
from zoo.data.text import Tokenizer
from zoo.training.callbacks import AdversarialFrom

from conftest import tiny

REPO = Path(__file__).resolve().parent.parent

def test_phase_switch_callback_follows_the_epoch(tmp_path):
    model = tiny("lstm_gan_text")
    model.compile()
    switch = AdversarialFrom(first=1, learning_rate=1e-4)
    switch.set_model(model)
    switch.on_epoch_begin(0)
    assert model.phase == "mle"
    switch.on_epoch_begin(1)
    assert model.phase == "adversarial"
    assert float(model.g_optimizer.learning_rate.numpy()) == pytest.approx(1e-4)


def test_too_small_a_corpus_fails_early_with_how_much_is_needed(tmp_path):
    text = tmp_path / "tiny.txt"
    text.write_text("one short line\nanother\n")
    with pytest.raises(zoo.DataError, match="at least --batch-size"):
        recipe.RECIPE.main(["--text-file", str(text), "--batch-size", "8", "--output", str(tmp_path / "out")])


def test_word_level_vocabulary_comes_from_the_training_file(tmp_path):
    captions = tmp_path / "captions.txt"
    captions.write_text("".join(f"a man rides a horse number {i}\n" for i in range(40)))
    data = text.word_splits(str(captions), sequence_length=8, batch_size=4, seed=0)
    vocabulary = data.tokenizer.vocabulary
    assert vocabulary[:2] == ["<eos>", "<unk>"] and "horse" in vocabulary and data.tokenizer.separator == " "
    assert data.info["train_examples"] == 36 and data.info["test_examples"] == 4  # the last 10 % of the lines
    first = next(iter(data.test))[0].numpy()[0]
    assert first[-1] == 0  # padded with <eos>
    assert data.tokenizer.decode(first).numpy().decode() == "a man rides a horse number <unk>"

@pytest.mark.slow  # 28 s: a word-level recipe run; test_text_metrics checks BLEU and self-BLEU themselves
def test_word_level_run_reports_bleu_and_self_bleu_across_temperatures(tmp_path):
    text = tmp_path / "captions.txt"
    rng = np.random.default_rng(0)
    words = "a man dog rides walks the horse on beach with red ball".split()
    text.write_text("".join(" ".join(rng.choice(words, size=rng.integers(3, 9))) + " .\n" for _ in range(120)))
    card = recipe.RECIPE.main(["--smoke", "--text-file", str(text), "--output", str(tmp_path / "out")])
    assert card["dataset"]["level"] == "word"
    sweep = card["text_quality_by_temperature"]
    assert [r["temperature"] for r in sweep] == list(recipe.TEMPERATURES)
    for n in recipe.BLEU_ORDERS:
        assert 0 <= card["metrics"][f"bleu_{n}"] <= 1 and 0 <= card["metrics"][f"self_bleu_{n}"] <= 1
    assert card["metrics"]["bleu_2"] >= card["metrics"]["bleu_5"]
    assert len(card["samples"]["text"]) == 5


def test_words_and_punctuation_are_separate_tokens():
    assert text.split_words("a clock as the front wheel.").numpy().tolist() == [
        b"a", b"clock", b"as", b"the", b"front", b"wheel", b"."]
    assert text.split_words(["it's  a dog's ball!", ""]).to_list() == [[b"it's", b"a", b"dog's", b"ball", b"!"], []]

COCO = cards.saved_models_dir() / "lstm_gan_text_coco"

@pytest.mark.slow  # 15 s; the recipe's evaluate is checked on its smoke run by default (test_recipes.py)
def test_the_shipped_coco_captions_card_is_remeasured_from_its_weights():
    card = cards.read_card(COCO)
    config = card["recipe"]["config"]
    text_file, test_file = (REPO / config[k] for k in ("text_file", "test_file"))
    if not test_file.exists():
        pytest.skip(f"{test_file} is not here: the COCO captions come with ../shared/data")
    model = zoo.load("lstm_gan_text", weights=COCO)
    data = text.word_splits(str(text_file), test_file=str(test_file), sequence_length=config["sequence_length"],
                            batch_size=config["batch_size"], seed=config["seed"])
    assert data.tokenizer.vocabulary == model.vocabulary and data.info == card["dataset"]
    measured = recipe.test_metrics(model, data.test)
    assert measured["test_nll"] == pytest.approx(card["metrics"]["test_nll"], abs=0.05)
    quality = recipe.text_quality(model, data.test, temperatures=(1.0,))[0]
    for n in recipe.BLEU_ORDERS:  # the same 1,000 samples (fixed seed), so only rounding differs
        assert quality[f"bleu_{n}"] == pytest.approx(card["metrics"][f"bleu_{n}"], abs=0.002)
        assert quality[f"self_bleu_{n}"] == pytest.approx(card["metrics"][f"self_bleu_{n}"], abs=0.002)
    assert [r["temperature"] for r in card["text_quality_by_temperature"]] == list(recipe.TEMPERATURES)
    assert card["samples"]["text"] == recipe.samples_text(model)  # its training time: test_targets.py

# The one tokenizer: the word rule is Texygen's, and training data, model and export agree on ids.

def words_by_the_regex(line):
    """The word rule as Python's `re` states it, which the COCO captions' tokens follow."""
    return re.findall(r"[\w']+|[^\w\s]", line)


def split_as_text(texts):
    return [[w.decode() for w in row] for row in text.split_words(tf.constant(texts, tf.string)).to_list()]


@pytest.mark.parametrize("name", ["image_coco.txt", "test_coco.txt"])
def test_word_split_equals_the_regex_on_every_coco_caption(name):
    path = REPO.parent / "shared" / "data" / "coco_captions" / name
    if not path.exists():
        pytest.skip(f"{path} is not here: the COCO captions come with ../shared/data")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert split_as_text(lines) == [words_by_the_regex(line) for line in lines]


def assigned(code_point):
    # Unassigned in Python's Unicode database; RE2's newer tables make some of them letters
    # (see zoo.data.text): the one place the TensorFlow rule and Python's `re` differ.
    return not 0xD800 <= code_point <= 0xDFFF and unicodedata.category(chr(code_point)) != "Cn"


def test_word_split_equals_the_regex_for_every_assigned_character():
    characters = [chr(c) for c in range(0x110000) if assigned(c)]
    for joiner in ("", "a", " x'"):  # runs of each kind, each character between letters, beside spaces
        line = joiner.join(characters)
        assert split_as_text([line])[0] == words_by_the_regex(line)


ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cn")), max_size=40)


@settings(max_examples=100, deadline=None)
@given(line=st.one_of(ANY_TEXT, st.text(alphabet="ab '.,\t\n\u00a0\u3000é_-!", max_size=40)))
def test_word_split_equals_the_regex_for_any_text(line):
    assert split_as_text([line])[0] == words_by_the_regex(line)


@settings(max_examples=50, deadline=None)
@given(line=ANY_TEXT)
def test_tokenizers_built_from_a_text_round_trip_it(line):
    characters = Tokenizer.characters_of(line)
    assert characters.decode(characters.encode(line)).numpy().decode() == line
    words = Tokenizer.words_of([words_by_the_regex(line)])
    assert words.decode(words.encode(line)).numpy().decode() == " ".join(words_by_the_regex(line))
    assert words.sentences(words.encode([line, line]).to_tensor()) == [words_by_the_regex(line)] * 2


def test_unknown_tokens_become_unk_or_minus_one_and_decoding_stops_at_the_end_token():
    words = Tokenizer.words_of([["a", "man"], ["a", "dog", "."]])
    assert words.vocabulary == ["<eos>", "<unk>", "a", ".", "dog", "man"]
    assert words.encode("a man, a cat.").numpy().tolist() == [2, 5, 1, 2, 1, 3]
    assert words.decode([[2, 4, 0, 5], [5, 1, 3, 3]]).numpy().tolist() == [b"a dog", b"man <unk> . ."]
    characters = Tokenizer(["a", "b"])  # no "<unk>", no "<eos>"
    assert characters.encode("abc").numpy().tolist() == [0, 1, -1]
    assert characters.decode([1, 0, 1]).numpy() == b"bab"
    with pytest.raises(ValueError, match="separator"):
        Tokenizer(["a", "b"], separator="\t")


def pipeline_case(level, tmp_path, length=12):
    """(the data's Splits, the text of the first test sequence) at `level`."""
    if level == "words":
        captions = tmp_path / "captions.txt"
        captions.write_text("".join(f"A man's horse, number {i}, rides!\n" for i in range(20)))
        captions.with_name("test.txt").write_text("the man's  horse walks.\n")
        data = text.word_splits(str(captions), test_file=str(captions.with_name("test.txt")), sequence_length=length,
                                batch_size=4, seed=0)
        return data, "the man's  horse walks."
    data = text.character_splits("tiny_shakespeare", sequence_length=length, batch_size=4, seed=0,
                                 download=False, max_train_sequences=8, max_test_sequences=2)
    test = zoo.data.load_builder("tiny_shakespeare", download=False).as_dataset(split="test")
    return data, next(iter(test))["text"].numpy().decode("utf-8")[:length]


@pytest.mark.parametrize("level", ["words", "characters"])
def test_model_encode_and_exported_generate_read_text_as_the_training_data(level, tmp_path):
    data, line = pipeline_case(level, tmp_path)
    row = next(iter(data.test))[0].numpy()[0]
    ids = [int(i) for i in row if i != data.tokenizer.end_id]  # word rows are padded with <eos>
    # Smaller than smoke's networks: with 4× their weights, smoke's sample one character whatever the prompt.
    model = tiny("lstm_gan_text", vocabulary=data.tokenizer.vocabulary, token_separator=data.tokenizer.separator,
                 sequence_length=12, embedding_dim=4, hidden_dim=8, discriminator_dim=4)
    assert model.encode(line) == ids
    assert level == "characters" or data.tokenizer.unknown_id in ids  # "the" and "walks" were never trained on
    # Logits far from 0 and a low temperature: the samples depend on the prompt, not on the noise alone.
    model.generator.set_weights([4 * w for w in model.generator.get_weights()])
    exported = tf.saved_model.load(str(zoo.export(model, tmp_path / "export"))).signatures["generate"]

    def generated(prompt):
        out = exported(num_sequences=tf.constant(3), max_length=tf.constant(6), temperature=tf.constant(0.1),
                       seed=tf.constant(7), prompt=tf.constant(prompt))
        return out["tokens"].numpy()

    def rolled_out(prompt_ids):
        prompt_ids = tf.constant(np.tile(np.asarray(prompt_ids, "int32"), (3, 1)))
        return model.rollout(3, 6, 0.1, prompt=prompt_ids, noise_seed=tf.constant([7, 0]))[0].numpy()

    np.testing.assert_array_equal(generated(line), rolled_out(ids))
    assert not np.array_equal(rolled_out(ids), rolled_out(ids[:-1]))  # other ids would have shown
