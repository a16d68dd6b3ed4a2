"""`zoo train lstm_gan_text --benchmark oracle`: SeqGAN's synthetic-data experiment.

An oracle LSTM with N(0, 1) parameters (vocabulary 5,000, embedding 32, hidden 32, length 20)
generates 10,000 training sequences and 10,000 held-out ones. A generator of the oracle's size
is trained by maximum likelihood (`--epochs`), measured, then trained adversarially
(`--adversarial-epochs`) and measured again. For the random (untrained) generator, the MLE
model, the adversarial model and the oracle itself: NLL-oracle (quality) and NLL-test
(coverage) at temperature 1.0, in nats per sequence. The MLE model is also swept over
temperatures: lowering the temperature alone lowers NLL-oracle (Caccia et al., 2020), so the
adversarial point is drawn against that curve.
"""

import dataclasses
import time

import keras

from zoo import atomic, cards
from zoo.config import at_least, option, positive
from zoo.data import text as text_data
from zoo.training import distribute, fit
from recipes.lstm_gan_text import oracle as oracle_lib
from recipes.lstm_gan_text.recipe import LSTMGANTextRecipe, Settings

TEMPERATURES = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4)
ORACLE_SEED = 2017  # the oracle is the same for every --seed: runs differ by model seed only


@dataclasses.dataclass
class OracleSettings(Settings):
    """The text recipe's settings with this benchmark's defaults (sizes are the oracle's)."""

    benchmark: str = option("oracle", "'oracle': SeqGAN's synthetic-data benchmark")
    epochs: int = option(10, "maximum-likelihood epochs at most; it stops when the validation NLL rises and keeps "
                             "its best epoch", at_least(1))
    adversarial_epochs: int = option(1, "adversarial epochs after the best MLE epoch", at_least(0))
    learning_rate: float = option(1e-2, "Adam learning rate of the maximum-likelihood phase (SeqGAN's)", positive)
    adversarial_learning_rate: float = option(1e-3, "Adam learning rate of the generator in the adversarial phase",
                                              positive)


class OracleRecipe(LSTMGANTextRecipe):
    """`zoo train lstm_gan_text --benchmark oracle`: the text GAN on SeqGAN's oracle data."""

    Settings = OracleSettings
    smoke = {**LSTMGANTextRecipe.smoke, "epochs": 2}

    def main(self, argv=None):
        return self.run(self.parse(argv))

    def output_dir(self, config):
        return distribute.output_dir(config.output, self.name + "_oracle", config.strategy)

    def run(self, config):
        return run(self, config)


def oracle_data(config, oracle):
    n_train = config.max_train_sequences or 10_000
    n_test = config.max_test_sequences or 10_000
    train = oracle_lib.sample_in_batches(oracle, n_train, seed=1)
    validation = oracle_lib.sample_in_batches(oracle, n_test, seed=3)  # for early stopping only
    held_out = oracle_lib.sample_in_batches(oracle, n_test, seed=2)
    info = {"name": "seqgan_oracle", "version": f"seed {ORACLE_SEED}", "level": "synthetic",
            "oracle": {"vocabulary_size": oracle.vocab_size, "embedding_dim": oracle.embedding_dim,
                       "hidden_dim": oracle.hidden_dim, "sequence_length": oracle.sequence_length}}
    data = text_data.sequence_splits({"train": train, "validation": validation, "test": held_out},
                                     text_data.Tokenizer(oracle.vocabulary, " "), info,
                                     batch_size=config.batch_size, seed=config.seed)
    return data, held_out


def run(recipe, config):
    strategy = distribute.distribution(config.strategy, deterministic=config.deterministic, seed=config.seed,
                                       batch_size=config.batch_size)
    sizes = dict(vocab_size=oracle_lib.VOCAB_SIZE, embedding_dim=oracle_lib.EMBEDDING_DIM,
                 hidden_dim=oracle_lib.HIDDEN_DIM, sequence_length=oracle_lib.SEQUENCE_LENGTH)
    if config.smoke:
        sizes = dict(vocab_size=50, embedding_dim=8, hidden_dim=8, sequence_length=config.sequence_length)
    oracle = oracle_lib.make_oracle(ORACLE_SEED, **sizes)
    config = dataclasses.replace(config, sequence_length=sizes["sequence_length"],
                                 embedding_dim=sizes["embedding_dim"], hidden_dim=sizes["hidden_dim"])
    keras.utils.set_random_seed(config.seed)
    data, held_out = oracle_data(config, oracle)
    output = recipe.output_dir(config)
    samples = 1000 if config.smoke else 10_000

    def measure(model, temperature=1.0):
        return oracle_lib.measure(model, oracle, held_out, samples=samples, temperature=temperature)

    rows = {"oracle": measure(oracle)}
    with strategy.scope():
        model = recipe.build(config, data)
        model.compile(g_optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=5.0),
                      d_optimizer=keras.optimizers.Adam(config.discriminator_learning_rate, clipnorm=5.0))
    rows["random"] = measure(model)
    start = time.perf_counter()
    # 10,000 sequences over-fit within a few epochs: keep the epoch with the best validation NLL.
    best = keras.callbacks.EarlyStopping("val_nll", mode="min", patience=1, restore_best_weights=True)
    mle_epochs = fit(model, data.train, data.validation, epochs=config.epochs, output=output / "mle", callbacks=[best])
    mle_seconds = time.perf_counter() - start
    rows["mle"] = measure(model)
    sweep = [measure(model, t) for t in TEMPERATURES]

    model.set_phase("adversarial")
    model.g_optimizer.learning_rate.assign(config.adversarial_learning_rate)
    start = time.perf_counter()
    adversarial_epochs = fit(model, data.train, data.validation, epochs=config.adversarial_epochs,
                             output=output / "adversarial")
    adversarial_seconds = time.perf_counter() - start
    rows["adversarial"] = measure(model)

    gap = rows["mle"]["nll_oracle"] - rows["adversarial"]["nll_oracle"]
    below = _below_curve(rows["adversarial"], sweep)
    table = _table(rows)
    print(table)
    print(f"NLL-oracle gain of the adversarial phase at temperature 1.0: {gap:.3f} nats per sequence; "
          f"adversarial point {'below' if below else 'not below'} the MLE temperature curve.")
    with atomic.atomic_path(output / "quality_diversity.png") as tmp:
        _plot(rows, sweep, tmp)
    card = {
        "name": recipe.name + "_oracle",
        "benchmark": "SeqGAN synthetic oracle",
        "metrics": {"nll_oracle_gain": round(gap, 4), "adversarial_below_mle_curve": below},
        "table": rows,
        "table_markdown": table,
        "mle_temperature_sweep": sweep,
        "dataset": data.info,
        "recipe": {"module": "recipes.lstm_gan_text.benchmark", "config": dataclasses.asdict(config)},
        "seed": config.seed,
        "mle": {"epochs": len(mle_epochs), "training_seconds": round(mle_seconds, 1), "history": mle_epochs},
        "adversarial": {"epochs": len(adversarial_epochs), "training_seconds": round(adversarial_seconds, 1),
                        "history": adversarial_epochs},
        "files": {"figure": "quality_diversity.png"},
        "notes": ["NLL in nats per sequence of 20 tokens (per token beside it); 10,000 generated sequences "
                  "for NLL-oracle, 10,000 held-out oracle sequences for NLL-test, all at temperature 1.0 "
                  "unless a row says otherwise"],
        "environment": cards.environment(),
    }
    cards.write_card(output, card)
    for phase in ("mle", "adversarial"):  # their rows are in the card now
        (output / phase / ".epochs.jsonl").unlink(missing_ok=True)
    return card


def _below_curve(point, sweep):
    """True when the point beats turning the MLE model's temperature: the MLE curve (its
    sweep joined in temperature order) reaches the point's NLL-test, and wherever it does, it
    has a higher NLL-oracle than the point."""
    rows = sorted(sweep, key=lambda r: r["temperature"])
    crossings = []
    for a, b in zip(rows, rows[1:]):
        low, high = sorted((a["nll_test"], b["nll_test"]))
        if low <= point["nll_test"] <= high:
            share = 0.0 if high == low else (point["nll_test"] - a["nll_test"]) / (b["nll_test"] - a["nll_test"])
            crossings.append(a["nll_oracle"] + share * (b["nll_oracle"] - a["nll_oracle"]))
    return bool(crossings) and all(point["nll_oracle"] < c for c in crossings)


def _table(rows):
    lines = ["| model | NLL-oracle | NLL-test | NLL-oracle / token | NLL-test / token |", "|---|---|---|---|---|"]
    for name, row in rows.items():
        lines.append(f"| {name} | {row['nll_oracle']:.3f} | {row['nll_test']:.3f} | "
                     f"{row['nll_oracle_per_token']:.3f} | {row['nll_test_per_token']:.3f} |")
    return "\n".join(lines)


def _plot(rows, sweep, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot([r["nll_test"] for r in sweep], [r["nll_oracle"] for r in sweep], "o-", label="MLE, temperature sweep")
    for row in sweep:
        ax.annotate(f"{row['temperature']:g}", (row["nll_test"], row["nll_oracle"]), fontsize=7)
    ax.plot(rows["adversarial"]["nll_test"], rows["adversarial"]["nll_oracle"], "r*", ms=12, label="adversarial, T = 1")
    ax.set_xlabel("NLL-test (nats / sequence): lower = more coverage")
    ax.set_ylabel("NLL-oracle (nats / sequence): lower = better quality")
    ax.legend()
    ax.set_title("SeqGAN oracle: quality against diversity")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


RECIPE = OracleRecipe()

if __name__ == "__main__":
    RECIPE.main()
