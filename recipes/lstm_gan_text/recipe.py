"""Train `lstm_gan_text`: maximum likelihood first, then adversarially, in one `fit`.

    zoo train lstm_gan_text                                   # characters of Tiny Shakespeare
    zoo train lstm_gan_text --text-file ../shared/data/coco_captions/image_coco.txt \\
        --test-file ../shared/data/coco_captions/test_coco.txt --sequence-length 32   # words
    python -m recipes.lstm_gan_text.benchmark                 # SeqGAN's synthetic benchmark
    python -m recipes.lstm_gan_text.recipe --smoke --output /tmp/smoke

Real text is cut into sequences of `--sequence-length` tokens: windows of the text for a TFDS
text dataset (characters), one padded sentence per line for `--text-file` (words, padded
with "<eos>"). The vocabulary is built from the training text and saved in the model config.

Reported: `test_nll`, the generator's negative log-likelihood of the test sequences in nats per
sequence (and per token), after both phases.
"""

import dataclasses
import json
import typing

import keras
import numpy as np

from zoo import text_metrics
from zoo.config import at_least, existing_file, option, positive
from zoo.data import text as text_data
from zoo.errors import DataError
from zoo.recipe import Recipe, Results, TrainSettings
from zoo.training.callbacks import AdversarialFrom

# What benchmarks/run.py counts and times: the step of the model as built, maximum-likelihood
# training with teacher forcing (10 of the 12 default epochs).
BENCHMARK_NOTE = ("FLOPs and speeds of the maximum-likelihood step (10 of 12 epochs); the adversarial step "
                  "samples token by token in a while loop the graph count cannot follow")


@dataclasses.dataclass
class Settings(TrainSettings):
    epochs: int = option(10, "maximum-likelihood epochs (phase 1)", at_least(1))
    adversarial_epochs: int = option(2, "adversarial epochs that follow them (phase 2)", at_least(0))
    batch_size: int = option(64, "sequences per training step", at_least(1))
    dataset: str = option("tiny_shakespeare", "TFDS text dataset with a 'text' feature (character level)")
    text_file: typing.Optional[str] = option(
        None, "plain-text file, one sentence per line (word level; replaces --dataset)", existing_file)
    test_file: typing.Optional[str] = option(None, "held-out sentences for --text-file (default: its last 10%)",
                                             existing_file)
    learning_rate: float = option(1e-3, "Adam learning rate of the maximum-likelihood phase", positive)
    adversarial_learning_rate: float = option(1e-4, "Adam learning rate of the generator in the adversarial phase",
                                              positive)
    discriminator_learning_rate: float = option(1e-3, "Adam learning rate of the discriminator", positive)
    max_train_sequences: int = option(0, "use only this many training sequences (0: all)", at_least(0))
    max_test_sequences: int = option(0, "measure only this many test sequences (0: all)", at_least(0))
    jit_compile: bool = option(True, "XLA-compile the maximum-likelihood step on one device (10–16 % faster on 2 "
                                     "CPU cores; the adversarial step never is)")


class LSTMGANTextRecipe(Recipe):
    name = "lstm_gan_text"
    answers = ("Does adversarial training make an LSTM text generator better than maximum likelihood alone? "
               "Measured on SeqGAN's oracle benchmark, in its own units (NLL-oracle): see "
               "[the oracle benchmark](#the-oracle-benchmark) below; the shipped weights are the Tiny Shakespeare "
               "character model.")
    Settings = Settings
    derived_fields = ("vocabulary", "token_separator", "anneal_steps", "phase")
    smoke = dict(epochs=1, adversarial_epochs=1, batch_size=16, sequence_length=12, embedding_dim=8, hidden_dim=16,
                 discriminator_dim=8, max_train_sequences=64, max_test_sequences=32)
    benchmark_note = BENCHMARK_NOTE

    def load_data(self, config):
        sizes = dict(sequence_length=config.sequence_length, batch_size=config.batch_size, seed=config.seed,
                     max_train_sequences=config.max_train_sequences, max_test_sequences=config.max_test_sequences)
        if config.text_file:
            return text_data.word_splits(config.text_file, test_file=config.test_file, **sizes)
        return text_data.character_splits(config.dataset, data_dir=config.data_dir, download=config.download,
                                          model_name=self.name, **sizes)

    def derived(self, config, data):
        return dict(vocabulary=data.tokenizer.vocabulary, token_separator=data.tokenizer.separator,
                    anneal_steps=max(1, config.adversarial_epochs * data.train.steps))

    def jit_compile(self, config):
        return config.jit_compile

    def compile(self, model, config, data):
        model.compile(g_optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=5.0),
                      d_optimizer=keras.optimizers.Adam(config.discriminator_learning_rate, clipnorm=5.0),
                      jit_compile=self.xla(model, config))

    def epochs(self, config):
        return config.epochs + config.adversarial_epochs  # both phases in one `fit`

    def callbacks(self, model, config, data, output):
        return [AdversarialFrom(config.epochs, config.adversarial_learning_rate)]

    def headline(self, card):
        m = card["metrics"]
        return (f"**{m['test_nll']:.2f} nats** test NLL per sequence ({m['test_nll_per_token']:.2f} per character, "
                f"{card['dataset']['test_examples']:,} test sequences)")

    def measure(self, model, config, data):
        results = Results(test_metrics(model, data.test))
        if data.info["level"] == "word":
            sweep = text_quality(model, data.test)
            results.metrics.update({k: v for k, v in sweep[TEMPERATURES.index(1.0)].items() if k != "temperature"})
            results.sections["text_quality_by_temperature"] = sweep
            print(quality_table(sweep))
        return results

    def evaluate(self, model, settings):
        """Test NLL in nats per sequence and per token, with the model card's keys."""
        dataset = settings.dataset
        data = text_data.character_splits(dataset, data_dir=settings.data_dir, model_name=self.name,
                                          sequence_length=model.sequence_length, batch_size=1, seed=0,
                                          max_test_sequences=settings.max_examples)
        if data.tokenizer.vocabulary != model.vocabulary:
            raise DataError(f"The vocabulary of {dataset!r} differs from the model's: measure it on the text it "
                            "was trained on.")
        return test_metrics(model, data.test)

    def card_sections(self, model, config, data, results):
        samples = samples_text(model)
        print(f"Samples (temperature 1.0, seed {SAMPLE_SEED}):\n" + "\n".join(json.dumps(s) for s in samples))
        return {**super().card_sections(model, config, data, results),
                "samples": {"temperature": 1.0, "seed": SAMPLE_SEED, "text": samples}}

    def notes(self, metrics, dataset):
        notes = [f"test_nll: nats per sequence of {dataset['sequence_length']} tokens over the test split "
                 f"({dataset['test_examples']} sequences)"]
        if dataset.get("level") == "word":
            notes.append("bleu_n / self_bleu_n: 1,000 sentences sampled at temperature 1.0 (seed 12345), each "
                         "against all test sentences / the other samples (Texygen's definitions, NLTK smoothing "
                         "method 1); text_quality_by_temperature repeats them across temperatures")
        return notes


def test_metrics(model, test):
    nll = float(model.evaluate(test, return_dict=True, verbose=0)["nll"])
    return {"test_nll": round(nll, 4), "test_nll_per_token": round(nll / model.sequence_length, 4)}


SAMPLE_SEED = 12345


def samples_text(model, n=5, seed=SAMPLE_SEED):
    return model.generate_text(n, seed=seed)


BLEU_ORDERS = (2, 3, 4, 5)
TEMPERATURES = (0.6, 0.8, 1.0, 1.2, 1.4)


def text_quality(model, test, samples=1000, temperatures=TEMPERATURES, seed=12345):
    """BLEU-2..5 of `samples` generated sentences against all test sentences (quality) and their
    Self-BLEU-2..5 (sameness: lower is more diverse), as Texygen defines them, per temperature."""
    references = model.tokenizer.sentences(np.concatenate([b[0].numpy() for b in test]))
    rows = []
    for temperature in temperatures:
        generated = model.tokenizer.sentences(model.sample(samples, temperature=temperature, seed=seed))
        row = {"temperature": temperature}
        for n in BLEU_ORDERS:
            row[f"bleu_{n}"] = round(text_metrics.bleu(generated, references, n), 4)
        for n in BLEU_ORDERS:
            row[f"self_bleu_{n}"] = round(text_metrics.self_bleu(generated, n), 4)
        rows.append(row)
    return rows


def quality_table(sweep):
    columns = [k for k in sweep[0] if k != "temperature"]
    lines = ["| temperature | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {r['temperature']:g} | " + " | ".join(f"{r[c]:.3f}" for c in columns) + " |" for r in sweep]
    return "\n".join(lines)


RECIPE = LSTMGANTextRecipe()

if __name__ == "__main__":
    RECIPE.main()
