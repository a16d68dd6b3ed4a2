"""GAN, VAE or LSTM? Every image generator of the zoo, measured under one protocol.

    python -m benchmarks.generative                   # → benchmarks/generative.{md,json,png}
    python -m benchmarks.generative --models dcgan,vae --samples 1000 --output /tmp/generative
    python -m benchmarks.generative --models dense_gan --merge   # one model's rows; the others' kept

The generators are the registered models whose task is image generation (class-conditional
ones too: their samples are drawn for the classes in turn), loaded with their shipped weights (a new one shows up here without editing this file). Each is measured in a
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
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.command import argument_parser, chosen_models, write_results
from benchmarks.generative_report import figure, table, text_table
from benchmarks.machine import machine
from benchmarks.processes import measured_in_subprocess, report
from benchmarks.samples import binarized_real, class_entropy, likelihood, nearest_distances, real_images
from benchmarks.timing import sampling_speed

HERE = Path(__file__).resolve().parent


def generators():
    """The registered image generators: every model whose task is image generation."""
    import zoo
    from zoo.registry import get_entry

    return [n for n in zoo.list_models() if is_image_generator(get_entry(n))]


def is_image_generator(entry):
    return entry.task.startswith("image generation")  # the class-conditional ones' too


# -- one model, in its own process -------------------------------------------------------------

def measure(name, samples, nn_samples, nll_examples, nll_samples, speed_repeats, data_dir, grid_file,
            train_examples=0):
    """`name`'s record (a dict: cost, likelihood, a row per kind of samples), measured in this
    process; its first 64 samples go to `grid_file` (.npy, uint8) for the figure."""
    import zoo
    from zoo import cards
    from zoo.quality import SAMPLE_SEED, default_judges, judged

    model = zoo.load(name, weights="pretrained")
    card = cards.read_card(cards.saved_models_dir() / name)
    if tuple(model.image_shape) != (28, 28, 1):
        raise ValueError(f"{name} draws {tuple(model.image_shape)} images; the judges read MNIST's (28, 28, 1).")
    result = {"model": name, "parameters": int(model.count_params()), "training_seconds": card.get("training_seconds"),
              "weights_sha256": card.get("weights_sha256"), "date": today(),
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
    kind = model.sample_pixels
    variants = [("samples", generated, "grey")]
    if kind != "grey":
        binary_train, binary_test = binarized_real(samples, train_examples, data_dir)
        real["binarised"] = (binary_train[:samples], binary_test, binary_train[:seen])
        if kind == "binary":
            variants = [("binary samples", generated, "binarised")]
        else:  # pixel means: the model's samples are Bernoulli draws from them
            draws = bernoulli_draws(generated, SAMPLE_SEED)
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
    np.save(grid_file, picture(model, generated, SAMPLE_SEED))
    result["rows"] = rows
    result["likelihood"] = likelihood(name, model, card, nll_examples, nll_samples, data_dir)
    return result


def bernoulli_draws(means, seed):
    """One Bernoulli draw per pixel of `means` (float in [0, 1]), from numpy's generator `seed`."""
    return (np.random.default_rng(seed).uniform(size=means.shape) < means).astype(np.float32)


def picture(model, generated, seed):
    """The figure's 64 images (uint8) of `model`'s samples `generated` (its `sample(..., seed=seed,
    output="float")`): the first 64, as Bernoulli draws where the model gives pixel means."""
    shown = bernoulli_draws(generated, seed) if model.sample_pixels not in ("grey", "binary") else generated
    return np.round(shown[:64] * 255).astype(np.uint8)


def today():
    return time.strftime("%Y-%m-%d", time.gmtime())


# -- the command line -------------------------------------------------------------------------

def main(argv=None):
    parser = argument_parser("benchmarks.generative", __doc__)
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
    parser.add_argument("--merge", action="store_true",
                        help="measure only --models and keep every other model's row from OUTPUT.json (measured "
                             "before with the same settings); their pictures are drawn anew, 64 samples, same seed")
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

    names = chosen_models(parser, args.models, generators(), refusal="not an image generator:")
    if args.merge and not args.models:
        parser.error("--merge measures the models --models names and keeps the others' rows: name them.")
    from zoo.quality import SAMPLE_SEED

    settings = {k: getattr(args, k) for k in ("samples", "train_examples", "nn_samples", "nll_examples", "nll_samples",
                                              "speed_repeats")}
    settings.update(sample_seed=SAMPLE_SEED, binarisation_seeds={"test": 0, "train": 1})
    kept = merged_rows(parser, args, settings, names) if args.merge else []
    # The kept models' pictures first: one that no longer loads stops the run before any measuring.
    grids = redrawn_grids([r["model"] for r in kept], args.samples, SAMPLE_SEED) if kept else {}
    results = []
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

    from zoo import cards

    for result in results:
        result["in_process"] = args.in_process
    if args.merge:
        measured = {r["model"]: r for r in [*kept, *results]}
        results = [measured[n] for n in generators() if n in measured]
    oracle = cards.saved_models_dir() / "lstm_gan_text_oracle" / cards.CARD
    # The text models' table beside the comparison a file holds (a whole run's, or one --merge
    # added to), not beside a few models picked by --models alone
    whole = args.merge or not args.models
    text = text_table(json.loads(oracle.read_text())) if oracle.exists() and whole else ""
    markdown = table(results, args.nll_examples) + ("\n\n" + text if text else "")
    print(markdown)
    settings.update(peak_memory="resident memory (CPU) of the measuring process after drawing the samples")
    write_results(args.output, {"settings": settings, "machine": machine(), "models": results, "date": today()},
                  markdown + "\n")
    figure(results, grids, Path(args.output).with_suffix(".png"))
    if any("error" in r for r in results):
        sys.exit("some models could not be measured: " + ", ".join(r["model"] for r in results if "error" in r))
    return results


def merged_rows(parser, args, settings, names):
    """The rows of OUTPUT.json that `--merge` keeps: every registered generator's but `names`'.

    A usage error, naming what to do, where the rows would not compare with the new ones: no
    such file; another protocol (`settings`) or machine; a kept model's shipped weights changed
    since its row was measured (or the row has no weights hash); a kept row that is an error."""
    path = Path(args.output).with_suffix(".json")
    if not path.exists():
        parser.error(f"--merge keeps the rows of {path}, which does not exist: run without --merge first.")
    before = json.loads(path.read_text())
    differ = {k: (before["settings"].get(k), v) for k, v in settings.items() if before["settings"].get(k) != v}
    now = machine()
    differ.update({f"machine {k}": (before["machine"].get(k), v) for k, v in now.items() if before["machine"].get(k) != v})
    if differ:
        parser.error(f"--merge: {path} was measured with other settings or on another machine (then, now): {differ}; "
                     "measure every model again without --merge.")
    from zoo import cards

    kept = [r for r in before["models"] if r["model"] in generators() and r["model"] not in names]
    for row in kept:
        card = cards.read_card(cards.saved_models_dir() / row["model"]) or {}
        if "error" in row or not row.get("weights_sha256") or row["weights_sha256"] != card.get("weights_sha256"):
            why = "is an error" if "error" in row else "was measured from other weights (or records none)"
            parser.error(f"--merge: {row['model']}'s row in {path} {why}: add it to --models.")
    return [{"date": before.get("date"), "in_process": before["settings"].get("in_process"), **r} for r in kept]


def redrawn_grids(names, samples, seed):
    """{name: the figure's picture of its shipped model (`picture`), from `samples` samples drawn
    with `seed`: the images its measuring run showed}."""
    import zoo

    grids = {}
    for name in names:
        model = zoo.load(name, weights="pretrained")
        grids[name] = picture(model, np.asarray(model.sample(samples, seed=seed, output="float")), seed)
    return grids


if __name__ == "__main__":
    main()
