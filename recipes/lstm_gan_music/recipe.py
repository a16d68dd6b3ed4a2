"""Train `lstm_gan_music` on Bach's chorales: maximum likelihood first, then adversarially, in one `fit`.

    zoo train lstm_gan_music                                   # the chorales (music21's corpus)
    zoo train lstm_gan_music --music ~/my_midi                 # a folder of your own MIDI / MusicXML
    python -m recipes.lstm_gan_music.recipe --smoke --output /tmp/smoke

The chorales are cut into windows of `--steps` sixteenth-note steps starting on bar lines, and
each training window is transposed by a random interval (`zoo.data.music`). The model trained
by maximum likelihood (the first `--epochs`) is the baseline: it is saved as `mle/` in the run
folder before the adversarial phase starts from its weights.

Measured on the held-out test chorales (their windows, each transposed at random as the
training windows are, so that a key is no tell): the baseline's exact NLL per frame,
and, for the GAN's and the baseline's samples, TimeGAN's discriminative score over
`--score-seeds` and the music statistics of `zoo.music_metrics`.
"""

import dataclasses
import typing

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo import cards, music_metrics, plots
from zoo.config import at_least, existing_folder, one_of, option, positive, positive_integers
from zoo.data import music as music_data
from zoo.errors import DataError
from zoo.recipe import Recipe, Results, TrainSettings
from zoo.training.callbacks import AdversarialFrom
from zoo.training import save_trained

SAMPLE_SEED = 12345  # the seed of every measured draw, so a card can be re-measured


@dataclasses.dataclass
class Measurement:
    """How the card's numbers are measured (flags of `zoo train` and of `zoo evaluate`).

    Attributes:
        score_seeds: seeds of the discriminative score; the card gives its mean and spread.
        score_epochs: epochs of each post-hoc classifier of the discriminative score.
        score_folds: its cross-validation folds.
        steps_per_quarter: the grid (4: sixteenth notes; 1: quarter notes).
        max_shift: transposition of the training windows, and of the held-out windows the
            samples are compared with (semitones either way).
    """

    score_seeds: typing.List[int] = option([1, 2, 3], "seeds of the discriminative score (a post-hoc classifier "
                                                      "each): the card gives their mean and standard deviation",
                                           positive_integers)
    score_epochs: int = option(20, "epochs of each post-hoc classifier of the discriminative score", at_least(1))
    score_folds: int = option(5, "cross-validation folds of the discriminative score (each roll held out once)",
                              at_least(2))
    steps_per_quarter: int = option(4, "the grid, in steps per quarter note: 4 (sixteenths, the default), 2 or 1 "
                                       "(quarter notes, the JSB Chorales benchmark's grid); --steps and --bar-steps "
                                       "count its steps", one_of(1, 2, 4))
    max_shift: int = option(music_data.MAX_SHIFT, "transpose each training window (and each held-out window the "
                                                  "samples are compared with) by up to this many semitones either "
                                                  "way (0: never)", at_least(0))


@dataclasses.dataclass
class Settings(TrainSettings, Measurement):
    epochs: int = option(60, "maximum-likelihood epochs (phase 1)", at_least(1))
    adversarial_epochs: int = option(5, "adversarial epochs that follow them (phase 2; 0: the baseline alone)",
                                     at_least(0))
    batch_size: int = option(64, "windows per training step", at_least(1))
    learning_rate: float = option(1e-3, "Adam learning rate of the maximum-likelihood phase", positive)
    adversarial_learning_rate: float = option(1e-4, "Adam learning rate of the generator in the adversarial phase",
                                              positive)
    d_learning_rate: float = option(1e-3, "Adam learning rate of the discriminator (β1 = 0.5)", positive)
    dataset: str = option(music_data.CHORALES, "TFDS dataset of the music (bach_chorales: generated from music21's "
                                               "corpus on first use)")
    music: typing.Optional[str] = option(None, "a folder of your own MIDI / MusicXML files (replaces --dataset; "
                                               "split by file name)", existing_folder)
    max_train_windows: int = option(0, "use only this many training windows (0: all)", at_least(0))
    max_test_windows: int = option(0, "measure on only this many held-out windows (0: all)", at_least(0))


class LSTMGANMusicRecipe(Recipe):
    name = "lstm_gan_music"
    answers = ("Can an LSTM-GAN — z into the LSTM's state and every step, an LSTM discriminator — compose music "
               "that a classifier tells from Bach's less easily than the samples of the same LSTM trained by "
               "maximum likelihood?")
    Settings = Settings
    Measurement = Measurement
    derived_fields = ("pitches", "pitch_low", "steps_per_quarter", "phase")
    model_defaults = dict(mle_weight=0.1)
    smoke = dict(epochs=1, adversarial_epochs=1, batch_size=16, steps=16, latent_dim=4, units=16, d_units=8,
                 max_train_windows=64, max_test_windows=32, score_seeds=[1], score_epochs=1, score_folds=2)

    def load_data(self, config):
        if config.music is None and config.dataset != music_data.CHORALES:
            raise DataError(f"Unknown TFDS dataset {config.dataset!r} for {self.name}: it reads "
                            f"{music_data.CHORALES}, or a folder of your own files with --music DIR.")
        splits = music_data.music_splits(config.music, batch_size=config.batch_size, seed=config.seed,
                                         window_steps=config.steps, max_shift=config.max_shift,
                                         data_dir=config.data_dir, download=config.download,
                                         max_train_windows=config.max_train_windows,
                                         max_test_windows=config.max_test_windows,
                                         steps_per_quarter=config.steps_per_quarter)
        return splits

    def derived(self, config, data):
        return dict(pitches=data.info["pitches"], pitch_low=data.info["pitch_low"],
                    steps_per_quarter=data.info["steps_per_quarter"], phase="mle")

    def compile(self, model, config, data):
        model.compile(g_optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=self.clipnorm(config)),
                      d_optimizer=keras.optimizers.Adam(config.d_learning_rate, beta_1=0.5))

    def epochs(self, config):
        return config.epochs + config.adversarial_epochs  # both phases in one `fit`

    def callbacks(self, model, config, data, output):
        return [AdversarialFrom(config.epochs, config.adversarial_learning_rate, output / BASELINE_WEIGHTS)]

    def headline(self, card):
        m, grid = card["metrics"], {4: "sixteenth-note", 2: "eighth-note", 1: "quarter-note"}
        frame = f"{grid.get(card['dataset'].get('steps_per_quarter'), '')} frame".strip()
        score = (f"discriminative score **{m['discriminative_score']:.2f}** ({m['discriminative_score']:.3f} ± "
                 f"{m['discriminative_score_sd']:.3f}; 0 best, 0.5 worst; {len(m['discriminative_score_by_seed'])} "
                 f"classifier seeds, {m['held_out_windows']} held-out windows)")
        base = card.get("baseline", {}).get("metrics")
        if base is None:  # the maximum-likelihood model itself
            return f"{score}; exact test NLL **{m['test_nll_per_frame']:.2f} nats** per {frame}"
        return (f"{score}; its maximum-likelihood baseline's: {base['discriminative_score']:.3f} ± "
                f"{base['discriminative_score_sd']:.3f}, exact test NLL {base['test_nll_per_frame']:.2f} nats per "
                f"{frame}")

    def train(self, config, data, output, strategy, batches=None, validation=None, epochs=None):
        """Both phases in one `fit`; then the baseline, the weights the maximum-likelihood phase
        left, is measured and written as a model folder of its own: `mle/` in the run folder."""
        model, history = super().train(config, data, output, strategy, batches, validation, epochs)
        # The weights the first phase left, written by AdversarialFrom in this run (or in the run
        # a kill interrupted): once mle/ is written from them they go, so a rerun that finds mle/
        # and no weights resumed after it.
        if config.adversarial_epochs and (output / BASELINE_WEIGHTS).exists():
            baseline = self.build(config, data)
            baseline.build_optimizers()  # the file holds both optimizers' state too
            baseline.load_weights(output / BASELINE_WEIGHTS)
            baseline.set_phase("mle")
            held_out = held_out_windows(data, config.max_shift)
            metrics = measured(baseline, held_out, config)
            save_trained(baseline, self.name, output / BASELINE,
                         config=dataclasses.replace(config, adversarial_epochs=0), history=history[:config.epochs],
                         metrics=metrics, dataset=data.info, notes=self.notes(metrics, data.info))
            (output / BASELINE_WEIGHTS).unlink()  # in mle/ now
        return model, history

    def measure(self, model, config, data):
        held_out = held_out_windows(data, config.max_shift)
        metrics = measured(model, held_out, config)
        sections = {}
        if config.adversarial_epochs:
            base = cards.read_card(self.output_dir(config) / BASELINE)["metrics"]
            sections["baseline"] = {"folder": BASELINE, "metrics": base,
                                    "note": "the same network after the maximum-likelihood phase alone: z = 0, "
                                            "every note drawn from its probability"}
            sections["comparison"] = comparison_table(metrics, base, held_out, model.pitch_low, model.bar_steps)
            print(sections["comparison"]["markdown"])
        return Results(metrics, sections, artefacts={"held_out": held_out})

    def evaluate(self, model, settings):
        """The card's metrics, measured again on the held-out chorales."""
        music = None if settings.dataset in (None, music_data.CHORALES) else settings.dataset  # a --music folder
        data = music_data.music_splits(music, batch_size=64, seed=0, window_steps=model.steps,
                                       max_shift=settings.max_shift, data_dir=settings.data_dir,
                                       download=settings.download, max_test_windows=settings.max_examples,
                                       steps_per_quarter=settings.steps_per_quarter)
        return measured(model, held_out_windows(data, settings.max_shift), settings)

    def pictures(self, model, config, data, results, output):
        held_out = results.artefacts["held_out"]
        rows = {"held-out chorales": held_out[:4], "this model": np.asarray(model.sample(4, seed=SAMPLE_SEED))}
        if config.adversarial_epochs:
            baseline = zoo.load(self.name, weights=str(output / BASELINE))
            rows["maximum likelihood"] = np.asarray(baseline.sample(4, seed=SAMPLE_SEED))
        plots.save_piano_rolls(rows, output / "piano_rolls.png", pitch_low=model.pitch_low,
                               title=f"four bars each (seed {SAMPLE_SEED})")
        midi = {f"sample_{i}": f"sample-{i}.mid" for i in range(len(rows["this model"]))}
        for name, roll in zip(midi.values(), rows["this model"]):
            music_data.piano_roll_to_midi(roll, output / name, low=model.pitch_low,
                                          steps_per_quarter=model.steps_per_quarter)
        return {"piano_rolls": "piano_rolls.png", **midi}

    def notes(self, metrics, dataset):
        return [
            f"held-out: the {metrics['held_out_windows']} windows of the test chorales, each transposed by a random "
            "interval as the training windows are (seed 0, for every run); samples: as many rolls, seed "
            f"{SAMPLE_SEED}",
            "discriminative_score: TimeGAN's (Yoon et al. 2019), |accuracy − 0.5| of a post-hoc LSTM classifier "
            f"(half the pitches' units, its final state to a logit) of held-out vs generated rolls, "
            f"{metrics['score_folds']}-fold cross-validated; mean and sample standard deviation over score_seeds "
            "(the classifiers' seeds)",
            f"test_nll_per_frame: the teacher-forced generator at z = 0, nats per step of "
            f"{dataset['steps_per_quarter']} a quarter note (each "
            "frame's pitches independent Bernoulli given the past): exact for the maximum-likelihood baseline, "
            "only the z = 0 slice of an adversarially trained generator",
            "statistics (zoo.music_metrics): pitch_class_distance and note_length_distance are total-variation "
            "distances (0 … 1) from the held-out windows' histograms; in_key: share of sounding steps in each "
            "roll's Krumhansl–Kessler key",
        ]


BASELINE = "mle"  # the baseline's model folder, in the run folder
BASELINE_WEIGHTS = "mle.weights.h5"  # its weights, from the end of the first phase until it is written


def held_out_windows(data, max_shift, seed=0):
    """The test windows, each transposed by a random interval (as training's are), the same
    intervals for every run (seed 0): the yardstick, not the run, draws them."""
    rolls = np.concatenate([np.asarray(b[0]) for b in data.test])
    move = music_data.random_transpositions(max_shift, seed=seed) if max_shift else None
    return np.asarray(move(tf.constant(0, tf.int64), tf.constant(rolls))) if move else rolls


def measured(model, held_out, measurement):
    """The card's metrics of `model` against the held-out windows (`Measurement`'s settings)."""
    generated = np.asarray(model.sample(len(held_out), seed=SAMPLE_SEED))
    seeds, epochs, folds = measurement.score_seeds, measurement.score_epochs, measurement.score_folds
    scores = [music_metrics.discriminative_score(held_out, generated, seed=s, epochs=epochs, folds=folds)
              for s in seeds]
    nll = float(np.mean(np.concatenate([np.asarray(model.nll_per_frame(held_out[i:i + 256]))
                                        for i in range(0, len(held_out), 256)])))
    real_stats = music_metrics.music_statistics(held_out, model.pitch_low, model.bar_steps)
    stats = music_metrics.music_statistics(generated, model.pitch_low, model.bar_steps)
    distances = music_metrics.statistics_distances(stats, real_stats)
    return {
        "discriminative_score": round(float(np.mean(scores)), 4),
        "discriminative_score_sd": round(float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0, 4),
        "discriminative_score_by_seed": {str(s): v for s, v in zip(seeds, scores)},
        "test_nll_per_frame": round(nll, 4),
        "pitch_class_distance": distances["pitch_class_distance"],
        "note_length_distance": distances["note_length_distance"],
        **{k: stats[k] for k in ("notes_per_step", "in_key", "repeated_bars", "mean_note_steps")},
        "held_out_windows": int(len(held_out)), "score_seeds": list(seeds), "score_epochs": int(epochs),
        "score_folds": int(folds),
    }


def comparison_table(gan, baseline, held_out, pitch_low, bar_steps):
    """Held-out chorales, the baseline's samples and the GAN's side by side (markdown and rows)."""
    real = music_metrics.music_statistics(held_out, pitch_low, bar_steps)
    rows = {"held-out chorales": {"discriminative_score": None, "test_nll_per_frame": None,
                                  "pitch_class_distance": 0.0, "note_length_distance": 0.0,
                                  **{k: real[k] for k in ("notes_per_step", "in_key", "repeated_bars",
                                                          "mean_note_steps")}},
            "maximum likelihood (baseline)": baseline, "LSTM-GAN": gan}
    columns = ("discriminative_score", "test_nll_per_frame", "pitch_class_distance", "note_length_distance",
               "notes_per_step", "in_key", "repeated_bars", "mean_note_steps")
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in rows.items():
        cells = []
        for c in columns:
            value = row.get(c)
            if value is None:
                cells.append("–")
            elif c == "discriminative_score" and "discriminative_score_sd" in row:
                cells.append(f"{value:.3f} ± {row['discriminative_score_sd']:.3f}")
            else:
                cells.append(f"{value:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return {"rows": rows, "markdown": "\n".join(lines)}


RECIPE = LSTMGANMusicRecipe()

if __name__ == "__main__":
    RECIPE.main()
