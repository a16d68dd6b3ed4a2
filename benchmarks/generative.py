"""GAN, VAE or LSTM? Every image generator of the zoo, measured under one protocol.

    python -m benchmarks.generative                   # → benchmarks/generative.{md,json,png}
    python -m benchmarks.generative --models dcgan,vae --samples 1000 --output /tmp/generative

The generators are the registered models whose task is image generation, loaded with their
shipped weights (a new one shows up here without editing this file). Each is measured in a
fresh process of its own (so its peak memory is its own), with the same seed and the same
number of samples:

- sample quality under two judges: the classifier score (as a fraction of real test images')
  and the Fréchet distance (beside the real train-vs-test floor) of `zoo.metrics`, on the
  features and logits of the shipped `lstm_image_classifier` (the judge the generators were
  tuned against) and of the shipped convolutional classifier of `zoo.judges` (which none was);
- the reference: models of binary pixels (`vae`, `pixel_lstm`: their `sample_pixels`) are
  compared with binarised real images (one Bernoulli draw per pixel, seeds 0 for test, 1 for
  train images, as their test set is made); their samples are Bernoulli draws. A model whose
  `sample` gives pixel means (`vae`) also gets a row of its means against the real grey images
  (what its card reports);
- likelihood where the model has one, in nats per image on the same first `--nll-examples`
  binarised test images: exact (`pixel_lstm`) or the importance-sampled bound (`vae`, k as on
  its card); "–" for GANs;
- diversity: the histogram of the conv judge's classes over the samples (its entropy as a
  fraction of ln 10: 1 is all ten digits equally often) and the Euclidean pixel distance from
  each of `--nn-samples` samples to its nearest image among those the model was trained on, as a
  fraction of the same for real test images (well below 1: samples copy training images; not
  for pixel means, which are near many images without copying any);
- cost: parameters, training time (from the model card), images per second drawn by
  `model.sample` (compiled with `tf.function` for every model) for requests of 1 and of 64
  images, and the process's peak resident memory after drawing all its samples at once.

The text side of the comparison, maximum likelihood against adversarial training of the LSTM
text generator, is read from the oracle benchmark's card (saved_models/lstm_gan_text_oracle),
per token beside the published figures.
"""

import argparse
import functools
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.processes import measured_in_subprocess, report
from benchmarks.run import machine

HERE = Path(__file__).resolve().parent


def generators():
    """The registered image generators: every model whose task is image generation."""
    import zoo
    from zoo.registry import get_entry

    return [n for n in zoo.list_models() if is_image_generator(get_entry(n))]


def is_image_generator(entry):
    return entry.task.startswith("image generation")


# -- one model, in its own process -------------------------------------------------------------

def sampling_speed(model, size, repeats, seed):
    """Images per second `model.sample(size)` draws, compiled as one graph for every model (some
    models' `sample` runs eagerly, layer by layer): the median of `repeats` timed requests after
    one untimed (the tracing)."""
    import tensorflow as tf

    draw = tf.function(lambda: model.sample(size, seed=seed, output="float"))
    np.asarray(draw())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(draw())
        times.append(time.perf_counter() - start)
    return size / float(np.median(times))


def binarized(images, seed):
    """One Bernoulli draw per pixel (p = pixel / 255) → {0, 255} uint8, as the binary models'
    test images are drawn (`zoo.data.images.binarized_once`)."""
    import tensorflow as tf

    from zoo.data.images import binarized_once

    dataset = binarized_once(tf.data.Dataset.from_tensor_slices((images, np.zeros(len(images), np.int64))), seed)
    return np.asarray(next(iter(dataset.batch(len(images))))[0])


def nearest_distances(images, train, chunk=1000):
    """Euclidean distance (pixels in [0, 1]) from each of `images` to its nearest image in `train`."""
    a = images.reshape(len(images), -1).astype(np.float32) / 255.0
    b = train.reshape(len(train), -1).astype(np.float32) / 255.0
    b_norms = (b * b).sum(axis=1)
    best = np.full(len(a), np.inf, np.float32)
    for start in range(0, len(b), chunk * 10):
        block, block_norms = b[start:start + chunk * 10], b_norms[start:start + chunk * 10]
        squared = (a * a).sum(axis=1)[:, None] + block_norms[None] - 2 * a @ block.T
        best = np.minimum(best, squared.min(axis=1))
    return np.sqrt(np.clip(best, 0, None))


def class_entropy(logits):
    """Entropy of the histogram of predicted classes, as a fraction of ln(classes); and the histogram."""
    classes = np.argmax(logits, axis=1)
    counts = np.bincount(classes, minlength=logits.shape[1])
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum() / math.log(logits.shape[1])), counts.tolist()


def likelihood(name, model, card, nll_examples, nll_samples, data_dir):
    """The model's NLL (nats per image) on the first `nll_examples` binarised test images, as
    its recipe measures it; None for a model without a likelihood."""
    import dataclasses

    from zoo.recipe import evaluate_like_card
    from zoo.registry import get_entry

    if getattr(model, "likelihood", None) is None:
        return None
    fields = {f.name for f in dataclasses.fields(get_entry(name).recipe().evaluate_class())}
    changes = {"quality_samples": 0, "max_examples": nll_examples, "nll_examples": nll_examples,
               "nll_samples": nll_samples}
    measured = evaluate_like_card(name, model, card, data_dir=data_dir,
                                  **{k: v for k, v in changes.items() if k in fields and v is not None})
    return {"nll": measured["test_nll"], "kind": model.likelihood, "examples": measured["nll_examples"],
            **({"importance_samples": measured["nll_samples"]} if "nll_samples" in measured else {})}


@functools.lru_cache(maxsize=2)
def real_images(samples, train_examples, data_dir):
    """(MNIST train images (the first `train_examples`, 0: all), the first `samples` test
    images), raw uint8: loaded once per process."""
    from zoo.data.images import image_classification_splits

    splits = image_classification_splits("mnist", (28, 28, 1), model_name="benchmarks.generative", data_dir=data_dir,
                                         max_train_examples=train_examples)
    train = np.asarray(next(iter(splits["train"].batch(100_000)))[0])
    test = np.asarray(next(iter(splits["test"].take(samples).batch(samples)))[0])
    return train, test


@functools.lru_cache(maxsize=2)
def binarized_real(samples, train_examples, data_dir):
    train, test = real_images(samples, train_examples, data_dir)
    return binarized(train, 1), binarized(test, 0)


def measure(name, samples, nn_samples, nll_examples, nll_samples, speed_repeats, data_dir, grid_file,
            train_examples=0):
    import zoo
    from zoo import cards
    from zoo.quality import SAMPLE_SEED, default_judges, judged

    model = zoo.load(name, weights="pretrained")
    card = cards.read_card(cards.saved_models_dir() / name)
    if tuple(model.image_shape) != (28, 28, 1):
        raise ValueError(f"{name} draws {tuple(model.image_shape)} images; the judges read MNIST's (28, 28, 1).")
    result = {"model": name, "parameters": int(model.count_params()), "training_seconds": card.get("training_seconds"),
              "task": zoo.registry.get_entry(name).task}
    for size in (1, 64):
        result[f"sample_b{size}_per_s"] = sampling_speed(model, size, speed_repeats, SAMPLE_SEED)
    generated = np.asarray(model.sample(samples, seed=SAMPLE_SEED, output="float"))
    result["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # after drawing them all

    train, test = real_images(samples, train_examples, data_dir)
    # The images the model was trained on, for the nearest-neighbour distances (a binary model
    # held out the train split's last ones for validation).
    seen = card.get("dataset", {}).get("train_examples") or len(train)
    real = {"grey": (train[:samples], test, train[:seen])}
    kind = getattr(model, "sample_pixels", "grey")
    variants = [("samples", generated, "grey")]
    if kind != "grey":
        binary_train, binary_test = binarized_real(samples, train_examples, data_dir)
        real["binarised"] = (binary_train[:samples], binary_test, binary_train[:seen])
        if kind == "binary":
            variants = [("binary samples", generated, "binarised")]
        else:  # pixel means: the model's samples are Bernoulli draws from them
            draws = (np.random.default_rng(SAMPLE_SEED).uniform(size=generated.shape) < generated).astype(np.float32)
            variants = [("Bernoulli draws", draws, "binarised"), ("pixel means", generated, "grey")]
    embeds = default_judges()
    rows = []
    for label, images, reference in variants:
        pixels = np.round(images * 255).astype(np.uint8)
        real_train, real_test, whole_train = real[reference]
        row = {"samples": label, "reference": reference, **judged(pixels, real_train, real_test, embeds)}
        row["class_entropy"], row["class_histogram"] = class_entropy(embeds["_conv"](pixels)[1])
        if label != "pixel means":  # means are blurred averages: near many images without copying any
            m = min(nn_samples, samples)
            row["nn_distance"] = float(nearest_distances(pixels[:m], whole_train).mean())
            row["nn_distance_real"] = float(nearest_distances(real_test[:m], whole_train).mean())
            row["nn_distance_ratio"] = row["nn_distance"] / row["nn_distance_real"]
        rows.append(row)
    np.save(grid_file, np.round(variants[0][1][:64] * 255).astype(np.uint8))
    result["rows"] = rows
    result["likelihood"] = likelihood(name, model, card, nll_examples, nll_samples, data_dir)
    return result


# -- the table and the figure ------------------------------------------------------------------

def _minutes(seconds):
    return "–" if seconds is None else f"{seconds / 60:.1f} min"


COLUMNS = ["model", "samples", "reference", "score ratio (LSTM judge)", "FD / floor (LSTM judge)",
           "score ratio (conv judge)", "FD / floor (conv judge)", "NLL (nats, first {nll} binarised test images)",
           "classes (entropy ÷ ln 10, conv judge)", "NN distance ÷ real's", "parameters", "training",
           "images/s b1 / b64", "peak memory (MB)"]


def table(results, nll_examples):
    columns = [c.format(nll=f"{nll_examples:,}") for c in COLUMNS]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for result in results:
        if "error" in result:
            error = " ".join(result["error"].replace("|", "/").split())
            lines.append(f"| `{result['model']}` | error: {error} |" + " |" * (len(columns) - 2))
            continue
        nll = result["likelihood"]
        nll_text = "–" if nll is None else f"{nll['nll']:.2f} ({nll['kind']})"
        for row in result["rows"]:
            nn = f"{row['nn_distance_ratio']:.2f}" if "nn_distance_ratio" in row else "–"
            lines.append(
                f"| `{result['model']}` | {row['samples']} | {row['reference']} | "
                f"{row['classifier_score_ratio']:.3f} | {row['frechet_distance']:.2f} / {row['frechet_distance_floor']:.2f} | "
                f"{row['classifier_score_ratio_conv']:.3f} | "
                f"{row['frechet_distance_conv']:.2f} / {row['frechet_distance_floor_conv']:.2f} | {nll_text} | "
                f"{row['class_entropy']:.3f} | {nn} | {result['parameters']:,} | "
                f"{_minutes(result['training_seconds'])} | "
                f"{result['sample_b1_per_s']:.1f} / {result['sample_b64_per_s']:.0f} | {result['peak_memory_mb']:.0f} |")
    return "\n".join(lines)


def text_table(card):
    """MLE against adversarial training of the LSTM text generator (the oracle benchmark's card:
    the mean ± standard deviation over its seeds), per token, beside SeqGAN's published figures."""
    from recipes.lstm_gan_text.benchmark import PUBLISHED

    rows = card["table"]
    seeds = card.get("seeds", [card.get("seed", 0)])
    lines = [f"| text model (oracle benchmark) | NLL-oracle / token (zoo, seeds {', '.join(map(str, seeds))}) | "
             "NLL-test / token (zoo) | NLL-oracle / token (SeqGAN paper) |", "|---|---|---|---|"]
    published = {"oracle": "oracle (real data)", "mle": "MLE", "adversarial": "SeqGAN"}

    def value(row, key):
        return f"{row[key]:.3f}" + (f" ± {row[key + '_sd']:.3f}" if key + "_sd" in row else "")

    for name in ("oracle", "mle", "adversarial"):
        if name in rows:
            lines.append(f"| {name} | {value(rows[name], 'nll_oracle_per_token')} | "
                         f"{value(rows[name], 'nll_test_per_token')} | {PUBLISHED[published[name]]:.3f} |")
    return "\n".join(lines)


def figure(results, grids, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo import atomic

    from zoo.plots import image_grid

    shown = [r for r in results if r["model"] in grids]
    fig, axes = plt.subplots(1, max(1, len(shown)), figsize=(3.2 * max(1, len(shown)), 3.6), squeeze=False)
    for ax, result in zip(axes[0], shown):
        ax.imshow(image_grid(grids[result["model"]], columns=8)[..., 0], cmap="gray", vmin=0, vmax=1)
        row = result["rows"][0]
        ax.set_title(f"{result['model']} ({row['samples']})\nscore ratio {row['classifier_score_ratio']:.2f} / "
                     f"{row['classifier_score_ratio_conv']:.2f} (conv)", fontsize=9)
        ax.axis("off")
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generative", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="", help="comma-separated registry names (default: every image generator)")
    parser.add_argument("--samples", type=int, default=10_000,
                        help="samples per model, and real images per reference (at most the 10,000 test images)")
    parser.add_argument("--nn-samples", type=int, default=1000, help="samples compared with every training image")
    parser.add_argument("--train-examples", type=int, default=0,
                        help="MNIST training images for the references and nearest-neighbour distances (0: all 60,000)")
    parser.add_argument("--nll-examples", type=int, default=1000, help="binarised test images for the likelihoods")
    parser.add_argument("--nll-samples", type=int, default=None,
                        help="importance samples per image of a bound (default: as on the model's card)")
    parser.add_argument("--speed-repeats", type=int, default=5, help="timed sampling requests per size")
    parser.add_argument("--data-dir", default=None, help="TFDS data folder (default: TFDS_DATA_DIR or ~/...)")
    parser.add_argument("--output", default=str(HERE / "generative"), help="writes OUTPUT.json, OUTPUT.md, OUTPUT.png")
    parser.add_argument("--in-process", action="store_true",
                        help="measure every model in this process (quicker; the peak memory is then the process's so far)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model, report its JSON
    parser.add_argument("--grid-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for flag, least in (("samples", 2), ("nn_samples", 1), ("nll_examples", 1), ("nll_samples", 1),
                        ("speed_repeats", 1), ("train_examples", 0)):
        if getattr(args, flag) is not None and getattr(args, flag) < least:
            parser.error(f"--{flag.replace('_', '-')} must be at least {least}, got {getattr(args, flag)}.")
    if args.samples > 10_000:
        parser.error(f"--samples {args.samples}: the references are real test images, of which MNIST has 10,000.")
    if 0 < args.train_examples < args.samples:
        parser.error(f"--train-examples {args.train_examples} must be 0 (all) or at least --samples {args.samples}.")
    if args.nn_samples > args.samples:
        parser.error(f"--nn-samples {args.nn_samples} must be at most --samples {args.samples}.")
    if args.data_dir:
        args.data_dir = os.path.abspath(args.data_dir)  # the measuring processes run in the repository
    if args.one:
        report(measure(args.one, args.samples, args.nn_samples, args.nll_examples, args.nll_samples,
                       args.speed_repeats, args.data_dir, args.grid_file, args.train_examples))
        return None

    known = generators()
    names = [n for n in args.models.split(",") if n] or known
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"not an image generator: {unknown}; choose from {known}.")
    results, grids = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            started = time.perf_counter()
            grid_file = Path(folder) / f"{name}.npy"
            if args.in_process:
                try:
                    result = measure(name, args.samples, args.nn_samples, args.nll_examples, args.nll_samples,
                                     args.speed_repeats, args.data_dir, grid_file, args.train_examples)
                except Exception as error:  # noqa: BLE001  one error row, as a failed process gives
                    result = {"model": name, "error": f"{type(error).__name__}: {error}"[:200]}
            else:
                flags = ["--grid-file", grid_file]
                for flag in ("samples", "nn_samples", "nll_examples", "nll_samples", "speed_repeats", "data_dir",
                             "train_examples"):
                    if getattr(args, flag) is not None:
                        flags += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
                result = measured_in_subprocess("benchmarks.generative", name, flags)
            results.append(result)
            if "error" not in result:
                grids[name] = np.load(grid_file)
            print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)

    from zoo import atomic, cards

    oracle = cards.saved_models_dir() / "lstm_gan_text_oracle" / cards.CARD
    text = text_table(json.loads(oracle.read_text())) if oracle.exists() else ""
    markdown = table(results, args.nll_examples) + ("\n\n" + text if text else "")
    print(markdown)
    output = Path(args.output)
    from zoo.quality import SAMPLE_SEED

    settings = {k: getattr(args, k) for k in ("samples", "train_examples", "nn_samples", "nll_examples", "nll_samples",
                                              "speed_repeats", "in_process")}
    settings.update(sample_seed=SAMPLE_SEED, binarisation_seeds={"test": 0, "train": 1},
                    peak_memory="resident memory (CPU) of the measuring process after drawing the samples")
    atomic.write_json(output.with_suffix(".json"), {"settings": settings, "machine": machine(), "models": results,
                                                    "date": time.strftime("%Y-%m-%d")})
    atomic.write_text(output.with_suffix(".md"), markdown + "\n")
    figure(results, grids, output.with_suffix(".png"))
    if any("error" in r for r in results):
        sys.exit("some models could not be measured: " + ", ".join(r["model"] for r in results if "error" in r))
    return results


if __name__ == "__main__":
    main()
