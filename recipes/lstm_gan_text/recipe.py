"""Train `lstm_gan_text`: maximum likelihood first, then adversarially, in one `fit`.

    zoo train lstm_gan_text                                   # characters of Tiny Shakespeare
    zoo train lstm_gan_text --text-file ../shared/data/coco_captions/image_coco.txt \\
        --test-file ../shared/data/coco_captions/test_coco.txt --sequence-length 32   # words
    zoo train lstm_gan_text --benchmark oracle                # SeqGAN's synthetic benchmark
    python -m recipes.lstm_gan_text.recipe --smoke --output /tmp/smoke

Real text is cut into sequences of `--sequence-length` tokens: windows of the text for a TFDS
text dataset (characters), one padded sentence per line for `--text-file` (words, padded
with "<eos>"). The vocabulary is built from the training text and saved in the model config.

Reported: `test_nll`, the generator's negative log-likelihood of the test sequences in nats per
sequence (and per token), after both phases.
"""

import collections
import dataclasses
import json
import re
import sys
import typing
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo import data as zdata
from zoo import text_metrics, training
from zoo.errors import ConfigError, DataError
from zoo.models.lstm_gan_text import END, UNKNOWN
from zoo.training import option

NAME = "lstm_gan_text"
# What benchmarks/run.py counts and times: the step of the model as built, maximum-likelihood
# training with teacher forcing (10 of the 12 default epochs).
BENCHMARK_FLOPS_NOTE = ("FLOPs and speeds of the maximum-likelihood step (10 of 12 epochs); the adversarial step "
                        "samples token by token in a while loop the graph count cannot follow")


@dataclasses.dataclass
class Config(training.RecipeConfig):
    epochs: int = option(10, "maximum-likelihood epochs (phase 1)")
    adversarial_epochs: int = option(2, "adversarial epochs that follow them (phase 2)")
    batch_size: int = option(64, "sequences per training step")
    dataset: str = option("tiny_shakespeare", "TFDS text dataset with a 'text' feature (character level)")
    text_file: typing.Optional[str] = option(None, "plain-text file, one sentence per line (word level; replaces --dataset)")
    test_file: typing.Optional[str] = option(None, "held-out sentences for --text-file (default: its last 10%%)")
    benchmark: str = option("", "'oracle': SeqGAN's synthetic-data benchmark instead of real text")
    sequence_length: int = option(64, "tokens per sequence")
    embedding_dim: int = option(64, "generator token embedding size")
    hidden_dim: int = option(256, "generator LSTM size")
    discriminator_dim: int = option(64, "discriminator embedding and LSTM size")
    estimator: str = option("gumbel", "adversarial gradient: gumbel (RelGAN) or reinforce (SeqGAN)")
    max_inverse_temperature: float = option(100.0, "Gumbel-softmax inverse temperature after annealing")
    learning_rate: float = option(1e-3, "Adam learning rate of the maximum-likelihood phase")
    adversarial_learning_rate: float = option(1e-4, "Adam learning rate of the generator in the adversarial phase")
    discriminator_learning_rate: float = option(1e-3, "Adam learning rate of the discriminator")
    max_train_sequences: int = option(0, "use only this many training sequences (0: all)")
    max_test_sequences: int = option(0, "measure only this many test sequences (0: all)")
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once)")
    jit_compile: bool = option(True, "XLA-compile the maximum-likelihood step on one device (10–16 %% faster on 2 CPU cores; the adversarial step never is)")

    def validate(self):
        super().validate()
        if self.adversarial_epochs < 0:
            raise ConfigError(f"--adversarial-epochs must be 0 or more, got {self.adversarial_epochs}.")
        if self.benchmark not in ("", "oracle"):
            raise ConfigError(f"--benchmark must be 'oracle' or left out, got {self.benchmark!r}.")
        if self.estimator not in ("gumbel", "reinforce"):
            raise ConfigError(f"--estimator must be gumbel or reinforce, got {self.estimator!r}.")
        for name in ("sequence_length", "embedding_dim", "hidden_dim", "discriminator_dim"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")
        for name in ("learning_rate", "adversarial_learning_rate", "discriminator_learning_rate", "max_inverse_temperature"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}.")
        for name in ("text_file", "test_file"):
            if getattr(self, name) and not Path(getattr(self, name)).is_file():
                raise ConfigError(f"--{name.replace('_', '-')} {getattr(self, name)!r} is not a file.")


SMOKE = dict(epochs=1, adversarial_epochs=1, batch_size=16, sequence_length=12, embedding_dim=8, hidden_dim=16,
             discriminator_dim=8, max_train_sequences=64, max_test_sequences=32)


@dataclasses.dataclass
class TextData:
    train: object  # batched tf.data.Dataset of (tokens [batch, length] int32,)
    validation: object
    test: object
    vocabulary: list
    token_separator: str
    info: dict


def load_data(config):
    if config.text_file:
        return _word_level(config)
    return _character_level(config)


def _character_level(config):
    def check(info):
        if "text" not in info.features:
            raise DataError(f"Dataset {config.dataset!r} has features {sorted(info.features)}; {NAME} reads a "
                            "text dataset with a 'text' feature (e.g. tiny_shakespeare).")

    builder = zdata.load_builder(config.dataset, config.data_dir, download=config.download, check=check)
    texts = {}
    for split in ("train", "validation", "test"):
        if split in builder.info.splits:
            examples = builder.as_dataset(split=split, shuffle_files=False)
            texts[split] = "".join(e["text"].numpy().decode("utf-8") for e in examples)
    if "train" not in texts or "test" not in texts:
        raise DataError(f"Dataset {config.dataset!r} needs 'train' and 'test' splits, it has {sorted(texts)}.")
    vocabulary = sorted(set(texts["train"])) + [UNKNOWN]
    index = {c: i for i, c in enumerate(vocabulary)}

    def windows(text, limit):
        ids = np.array([index.get(c, index[UNKNOWN]) for c in text], "int32")
        n = len(ids) // config.sequence_length
        n = min(n, limit) if limit else n
        return ids[: n * config.sequence_length].reshape(n, config.sequence_length)

    splits = {s: windows(t, config.max_test_sequences if s != "train" else config.max_train_sequences)
              for s, t in texts.items()}
    info = {"name": builder.info.name, "version": str(builder.info.version), "level": "character"}
    return _batched(config, splits, vocabulary, "", info)


def tokenize_words(line):
    """Words and punctuation marks ("the wheel." → "the", "wheel", "."), as Texygen's NLTK
    tokenizer splits the COCO captions."""
    return re.findall(r"[\w']+|[^\w\s]", line)


def read_sentences(path):
    """The non-empty lines of a UTF-8 text file, tokenized."""
    lines = [tokenize_words(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def _word_level(config):
    lines = read_sentences(config.text_file)
    if config.test_file:
        test_lines = read_sentences(config.test_file)
    else:
        cut = int(len(lines) * 0.9)
        lines, test_lines = lines[:cut], lines[cut:]
    counts = collections.Counter(w for line in lines for w in line)
    vocabulary = [END, UNKNOWN] + sorted(counts, key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(vocabulary)}

    def padded(sentences, limit):
        sentences = sentences[:limit] if limit else sentences
        ids = np.zeros((len(sentences), config.sequence_length), "int32")  # 0 is <eos>
        for row, words in enumerate(sentences):
            words = [index.get(w, index[UNKNOWN]) for w in words][: config.sequence_length]
            ids[row, : len(words)] = words
        return ids

    splits = {"train": padded(lines, config.max_train_sequences),
              "test": padded(test_lines, config.max_test_sequences)}
    info = {"name": Path(config.text_file).name, "version": "file", "level": "word"}
    return _batched(config, splits, vocabulary, " ", info)


def _batched(config, splits, vocabulary, separator, info):
    train = splits["train"]
    if len(train) < config.batch_size:
        raise DataError(
            f"The training text gives {len(train)} sequences of {config.sequence_length} tokens; at least "
            f"--batch-size ({config.batch_size}) are needed. Use more text, or a smaller --sequence-length "
            "or --batch-size.")
    if len(splits["test"]) == 0:
        raise DataError(f"The test text is shorter than one sequence of {config.sequence_length} tokens.")
    validation = splits.get("validation")
    info = {**info, "vocabulary_size": len(vocabulary), "sequence_length": config.sequence_length,
            "train_examples": len(train), "test_examples": len(splits["test"]),
            "validation_examples": 0 if validation is None else len(validation)}
    tensors = lambda a: tf.data.Dataset.from_tensor_slices((a,))  # noqa: E731
    return TextData(
        train=zdata.batched(tensors(train), config.batch_size, shuffle_seed=config.seed),
        validation=zdata.batched(tensors(validation), 500) if validation is not None and len(validation) else None,
        test=zdata.batched(tensors(splits["test"]), 500),
        vocabulary=vocabulary, token_separator=separator, info=info,
    )


def model_overrides(config, data):
    return dict(vocabulary=data.vocabulary, token_separator=data.token_separator,
                sequence_length=config.sequence_length, embedding_dim=config.embedding_dim,
                hidden_dim=config.hidden_dim, discriminator_dim=config.discriminator_dim,
                estimator=config.estimator, max_inverse_temperature=config.max_inverse_temperature,
                anneal_steps=max(1, config.adversarial_epochs * int(data.train.cardinality())), seed=config.seed)


def evaluate(model, data_dir=None, dataset="tiny_shakespeare", max_examples=0):
    """Test NLL in nats per sequence and per token, with the model card's keys."""
    config = Config(dataset=dataset, data_dir=data_dir, max_test_sequences=max_examples,
                    sequence_length=model.sequence_length, batch_size=1)
    data = load_data(config)
    if data.vocabulary != model.vocabulary:
        raise DataError(f"The vocabulary of {dataset!r} differs from the model's: measure it on the text it was trained on.")
    return test_metrics(model, data.test)


def test_metrics(model, test):
    nll = float(model.evaluate(test, return_dict=True, verbose=0)["nll"])
    return {"test_nll": round(nll, 4), "test_nll_per_token": round(nll / model.sequence_length, 4)}


class AdversarialFrom(keras.callbacks.Callback):
    """Switches the model to the adversarial phase from epoch `first` on (and back before it,
    so a run resumed by BackupAndRestore is in the right phase whichever epoch it resumes at),
    with the adversarial learning rate."""

    def __init__(self, first, learning_rate):
        super().__init__()
        self.first, self.learning_rate = first, learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        adversarial = epoch >= self.first
        self.model.set_phase("adversarial" if adversarial else "mle")
        if adversarial:
            self.model.g_optimizer.learning_rate.assign(self.learning_rate)


def train(config, data, output, callbacks=(), strategy=None):
    """Both phases in one `fit`; returns (model, per-epoch log rows)."""
    with (strategy or tf.distribute.get_strategy()).scope():
        model = zoo.load(NAME, **model_overrides(config, data))
        model.compile(g_optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=5.0),
                      d_optimizer=keras.optimizers.Adam(config.discriminator_learning_rate, clipnorm=5.0),
                      # XLA cannot yet place a step over a strategy's several (CPU) devices.
                      jit_compile=config.jit_compile and model.distribute_strategy.num_replicas_in_sync == 1)
    run_config = dataclasses.replace(config, epochs=config.epochs + config.adversarial_epochs)
    epochs = training.fit(model, data.train, data.validation, run_config, output,
                          callbacks=[AdversarialFrom(config.epochs, config.adversarial_learning_rate), *callbacks])
    return model, epochs


def samples_text(model, n=5, seed=12345):
    return model.generate_text(n, seed=seed)


def sentences_of(model, tokens):
    """Token-id rows → word lists, each cut at its first END."""
    end = model.vocabulary.index(END) if END in model.vocabulary else -1
    sentences = []
    for row in np.asarray(tokens):
        row = list(row)
        row = row[: row.index(end)] if end in row else row
        sentences.append([model.vocabulary[int(i)] for i in row])
    return sentences


BLEU_ORDERS = (2, 3, 4, 5)
TEMPERATURES = (0.6, 0.8, 1.0, 1.2, 1.4)


def text_quality(model, test, samples=1000, temperatures=TEMPERATURES, seed=12345):
    """BLEU-2..5 of `samples` generated sentences against all test sentences (quality) and their
    Self-BLEU-2..5 (sameness: lower is more diverse), as Texygen defines them, per temperature."""
    references = sentences_of(model, np.concatenate([b[0].numpy() for b in test]))
    rows = []
    for temperature in temperatures:
        generated = sentences_of(model, model.sample(samples, temperature=temperature, seed=seed))
        row = {"temperature": temperature}
        for n in BLEU_ORDERS:
            row[f"bleu_{n}"] = round(text_metrics.bleu(generated, references, n), 4)
        for n in BLEU_ORDERS:
            row[f"self_bleu_{n}"] = round(text_metrics.self_bleu(generated, n), 4)
        rows.append(row)
    return rows


def run(config):
    if config.benchmark == "oracle":
        from recipes.lstm_gan_text import benchmark

        return benchmark.run(config)
    strategy = training.distribution(config)
    keras.utils.set_random_seed(config.seed)
    data = load_data(config)
    output = config.output_dir(NAME)
    print(f"Training {NAME} on {data.info['name']} ({data.info['train_examples']} sequences of "
          f"{config.sequence_length} tokens, vocabulary {len(data.vocabulary)}) → {output}")
    model, epochs = train(config, data, output, strategy=strategy)
    measured = test_metrics(model, data.test)
    notes = [f"test_nll: nats per sequence of {config.sequence_length} tokens over the test split "
             f"({data.info['test_examples']} sequences)"]
    extra = {}
    if data.info["level"] == "word":
        sweep = text_quality(model, data.test)
        measured.update({k: v for k, v in sweep[TEMPERATURES.index(1.0)].items() if k != "temperature"})
        extra["text_quality_by_temperature"] = sweep
        notes.append("bleu_n / self_bleu_n: 1,000 sentences sampled at temperature 1.0 (seed 12345), each "
                     "against all test sentences / the other samples (Texygen's definitions, NLTK smoothing "
                     "method 1); text_quality_by_temperature repeats them across temperatures")
        print(quality_table(sweep))
    samples = samples_text(model)
    extra["samples"] = {"temperature": 1.0, "seed": 12345, "text": samples}
    print("Samples (temperature 1.0, seed 12345):\n" + "\n".join(json.dumps(s) for s in samples))
    return training.save_trained(model, NAME, output, config=config, epochs=epochs, metrics=measured,
                                 dataset=data.info, notes=notes, extra=extra)


def quality_table(sweep):
    columns = [k for k in sweep[0] if k != "temperature"]
    lines = ["| temperature | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {r['temperature']:g} | " + " | ".join(f"{r[c]:.3f}" for c in columns) + " |" for r in sweep]
    return "\n".join(lines)


def wants_oracle(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    return "--benchmark=oracle" in argv or any(a == "--benchmark" and b == "oracle" for a, b in zip(argv, argv[1:]))


def main(argv=None):
    if wants_oracle(argv):  # its own defaults (sizes and rates of SeqGAN's experiment)
        from recipes.lstm_gan_text import benchmark

        return benchmark.main(argv)
    return run(training.parse_config(Config, argv, SMOKE, prog=f"zoo train {NAME}", description=__doc__))


if __name__ == "__main__":
    main()
