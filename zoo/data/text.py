"""Text data: the one `Tokenizer` (text ↔ token ids in TensorFlow ops, so that the training data,
the model's `encode` / `decode` / `generate_text`, BLEU and the exported `generate` signature
split and join text the same way), and the pipelines that cut text into token sequences.

    splits = character_splits("tiny_shakespeare", sequence_length=64, batch_size=64, seed=0)
    splits = word_splits("image_coco.txt", test_file="test_coco.txt", sequence_length=32,
                         batch_size=64, seed=0)
    splits.tokenizer.decode(next(iter(splits.test))[0][0])   # the first test sequence as text
"""

import collections
from pathlib import Path

import tensorflow as tf

from zoo.data import Splits, batched, load_builder, shuffled_batches
from zoo.errors import DataError

UNKNOWN = "<unk>"
END = "<eos>"  # pads word-level sequences after the sentence: text ends at the first
SEPARATORS = {"": "characters", " ": "words"}

# The word rule is Python's re.findall(r"[\w']+|[^\w\s]", line), as Texygen's NLTK tokenizer
# splits the COCO captions: runs of word characters and apostrophes, and every other
# non-space character on its own. TensorFlow's regex ops are RE2, whose \w and \s are ASCII
# only, so Python's classes are spelled out: \w is str.isalnum() or "_", which is exactly
# \p{L}\p{N}_ for every character Python's Unicode database (14.0 in Python 3.11) assigns;
# RE2's newer tables (Unicode 15) also count as letters 4,388 code points that 14.0 leaves
# unassigned (Kawi, Nag Mundari, CJK extension H, ...), where Python would make each its own
# token. \s is str.isspace(), the same 29 characters in every Unicode version.
_WORD = r"\p{L}\p{N}_"
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_SPACED_APART = f"([^{_WORD}{_SPACE}'])|[{_SPACE}]+"  # a lone mark, or a run of spaces


def split_words(texts):
    """Words and punctuation marks of a string, or of each string of a batch ("the wheel." →
    "the", "wheel", "."): a 1-D string tensor, or a ragged [batch, None] one."""
    spaced = tf.strings.regex_replace(texts, _SPACED_APART, r" \1 ")
    pieces = tf.strings.split(spaced, " ")
    return tf.ragged.boolean_mask(pieces, tf.strings.length(pieces) > 0)


class Tokenizer(tf.Module):
    """Text ↔ token ids: a vocabulary (the tokens in id order) and how tokens join into text.

    Built on `tf.lookup` and `tf.strings`, so the same ops build the training data and run in
    an exported SavedModel (a model that holds a tokenizer carries its table). Text splits into
    characters (`separator=""`) or into words and punctuation marks (`separator=" "`, see
    `split_words`); a token outside the vocabulary gets the id of "<unk>" where the vocabulary
    has it, else -1. Ids turn back into text up to the first "<eos>" where the vocabulary has
    it (word-level sequences are padded with it).

    Example:

    >>> tokenizer = Tokenizer.words_of([["a", "man"], ["a", "dog", "."]])
    >>> tokenizer.vocabulary
    ['<eos>', '<unk>', 'a', '.', 'dog', 'man']
    >>> tokenizer.encode("a man, a dog.").numpy()
    array([2, 5, 1, 2, 4, 3], dtype=int32)
    >>> tokenizer.decode([2, 4, 0, 5]).numpy()
    b'a dog'

    Args:
        vocabulary: the tokens (str), in id order, all distinct.
        separator: "" for characters, " " for words: how text splits and tokens join.
    """

    def __init__(self, vocabulary, separator=""):
        super().__init__(name="tokenizer")
        tokens = tuple(str(t) for t in vocabulary)
        if len(set(tokens)) != len(tokens) or not tokens:
            raise ValueError(f"A vocabulary holds distinct tokens, got {len(tokens)} tokens "
                             f"({len(set(tokens))} distinct).")
        if separator not in SEPARATORS:
            raise ValueError(f"separator must be '' (characters) or ' ' (words), got {separator!r}.")
        self._tokens = tokens  # a tuple of str: tf.Module would wrap a list
        self.separator = separator
        self.unknown_id = tokens.index(UNKNOWN) if UNKNOWN in tokens else -1
        self.end_id = tokens.index(END) if END in tokens else -1
        self._strings = tf.constant(tokens)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(self._strings, tf.range(len(tokens), dtype=tf.int64)),
            default_value=self.unknown_id)

    @classmethod
    def characters_of(cls, text):
        """The characters of `text` in code-point order, and "<unk>" for any other."""
        return cls(sorted(set(text)) + [UNKNOWN], "")

    @classmethod
    def words_of(cls, sentences):
        """"<eos>", "<unk>" and the words of `sentences` (lists of words), the most frequent
        first (ties in alphabetical order)."""
        counts = collections.Counter(word for sentence in sentences for word in sentence)
        return cls([END, UNKNOWN] + sorted(counts, key=lambda w: (-counts[w], w)), " ")

    @property
    def vocabulary(self):
        return list(self._tokens)

    def __len__(self):
        return len(self._tokens)

    def split(self, texts):
        """A string → its tokens [n]; a batch of strings [batch] → ragged [batch, None]."""
        texts = tf.convert_to_tensor(texts, tf.string)
        return tf.strings.unicode_split(texts, "UTF-8") if self.separator == "" else split_words(texts)

    def lookup(self, tokens):
        """Tokens (dense or ragged) → int32 ids: "<unk>"'s for unknown tokens, else -1."""
        return tf.cast(self.table.lookup(tokens), tf.int32)

    def encode(self, texts):
        """A string → ids [n]; a batch of strings → ragged ids [batch, None]."""
        return self.lookup(self.split(texts))

    def tokens(self, ids):
        """Ids [..., length] → their tokens up to the first "<eos>", ragged along the last axis."""
        ids = tf.cast(ids, tf.int32)
        before_end = tf.equal(tf.cumsum(tf.cast(tf.equal(ids, self.end_id), tf.int32), axis=-1), 0)
        return tf.ragged.boolean_mask(tf.gather(self._strings, ids), before_end)

    def decode(self, ids):
        """Ids [length] → a string; ids [batch, length] → strings [batch]."""
        return tf.strings.reduce_join(self.tokens(ids), axis=-1, separator=self.separator)

    def sentences(self, ids):
        """Id rows [n, length] → n lists of tokens (str), each cut at its first "<eos>": what
        BLEU compares."""
        return [[t.decode("utf-8") for t in row] for row in self.tokens(ids).to_list()]


def character_splits(dataset, *, sequence_length, batch_size, seed, data_dir=None, download=True,
                     max_train_sequences=0, max_test_sequences=0, model_name="lstm_gan_text"):
    """A TFDS text dataset with a 'text' feature (e.g. tiny_shakespeare) as `Splits` of
    consecutive windows of `sequence_length` characters. The vocabulary is the training text's
    characters and "<unk>"; the `max_*` limits take the first windows (validation and test
    both take `max_test_sequences`)."""

    def check(info):
        if "text" not in info.features:
            raise DataError(f"Dataset {dataset!r} has features {sorted(info.features)}; {model_name} reads a "
                            "text dataset with a 'text' feature (e.g. tiny_shakespeare).")

    builder = load_builder(dataset, data_dir, download=download, check=check)
    texts = {}
    for split in ("train", "validation", "test"):
        if split in builder.info.splits:
            examples = builder.as_dataset(split=split, shuffle_files=False)
            texts[split] = "".join(e["text"].numpy().decode("utf-8") for e in examples)
    if "train" not in texts or "test" not in texts:
        raise DataError(f"Dataset {dataset!r} needs 'train' and 'test' splits, it has {sorted(texts)}.")
    tokenizer = Tokenizer.characters_of(texts["train"])

    def windows(text, limit):
        ids = tokenizer.encode(text).numpy()
        n = len(ids) // sequence_length
        n = min(n, limit) if limit else n
        return ids[: n * sequence_length].reshape(n, sequence_length)

    arrays = {split: windows(text, max_train_sequences if split == "train" else max_test_sequences)
              for split, text in texts.items()}
    info = {"name": builder.info.name, "version": str(builder.info.version), "level": "character"}
    return sequence_splits(arrays, tokenizer, info, batch_size=batch_size, seed=seed)


def word_splits(text_file, *, test_file=None, sequence_length, batch_size, seed, max_train_sequences=0,
                max_test_sequences=0):
    """A plain-text file, one sentence per line, as `Splits` of one sentence per sequence:
    its first `sequence_length` words and punctuation marks, padded with "<eos>". Empty lines
    are skipped. The test sentences are `test_file`'s, else the last 10 % of `text_file`'s.
    The vocabulary is "<eos>", "<unk>" and the training sentences' words, most frequent first;
    the `max_*` limits take the first sentences."""
    sentences = _sentences(text_file)
    if test_file:
        test_sentences = _sentences(test_file)
    else:
        cut = int(int(sentences.nrows()) * 0.9)
        sentences, test_sentences = sentences[:cut], sentences[cut:]
    tokenizer = Tokenizer.words_of([[w.decode("utf-8") for w in row] for row in sentences.to_list()])

    def padded(words, limit):
        words = words[:limit] if limit else words
        ids = tokenizer.lookup(words)
        return ids.to_tensor(default_value=tokenizer.end_id, shape=[None, sequence_length]).numpy()

    arrays = {"train": padded(sentences, max_train_sequences), "test": padded(test_sentences, max_test_sequences)}
    info = {"name": Path(text_file).name, "version": "file", "level": "word"}
    return sequence_splits(arrays, tokenizer, info, batch_size=batch_size, seed=seed)


def _sentences(path):
    """The non-empty lines of a UTF-8 text file, split into words: ragged [lines, None]."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    words = split_words(tf.constant(lines, tf.string, shape=[len(lines)]))
    return tf.ragged.boolean_mask(words, words.row_lengths() > 0)


def sequence_splits(arrays, tokenizer, info, *, batch_size, seed):
    """Token-id arrays {"train", "test" and optionally "validation": int32 [n, length]} as
    `Splits`: shuffled training batches of `batch_size` (seeded), evaluation batches of 500,
    and `info` completed with the sizes the model card reports."""
    train, validation, test = arrays["train"], arrays.get("validation"), arrays.get("test")
    length = train.shape[1]
    if len(train) < batch_size:
        raise DataError(
            f"The training text gives {len(train)} sequences of {length} tokens; at least "
            f"--batch-size ({batch_size}) are needed. Use more text, or a smaller --sequence-length "
            "or --batch-size.")
    if test is None or len(test) == 0:
        raise DataError(f"The test text is shorter than one sequence of {length} tokens.")
    info = {**info, "vocabulary_size": len(tokenizer), "sequence_length": length,
            "train_examples": len(train), "test_examples": len(test),
            "validation_examples": 0 if validation is None else len(validation)}

    def sequences(array):
        return tf.data.Dataset.from_tensor_slices((array,))

    return Splits(
        train=shuffled_batches(sequences(train), batch_size, seed=seed),
        validation=batched(sequences(validation), 500) if validation is not None and len(validation) else None,
        test=batched(sequences(test), 500),
        info=info,
        tokenizer=tokenizer,
    )
