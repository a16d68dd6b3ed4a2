"""Fine-tuning from the shipped weights against training from scratch, on small folders of your
own images: does `zoo train NAME --init pretrained` help?

    python -m benchmarks.finetune                     # → benchmarks/finetune.{md,json}
    python -m benchmarks.finetune --seeds 0 --gan-seeds 0 --workdir /tmp/ft   # a quicker pass

There is no Fashion-MNIST on an offline machine, so `garments` draws Fashion-MNIST-like 28×28
grey images: ten classes of garment silhouettes (t-shirt, trouser, pullover, dress, coat,
sandal, shirt, sneaker, bag, ankle boot), light on black, each drawn at a random size,
position, angle and shade, some with a printed stripe pattern, with pixel noise. Every folder is
written as PNGs, one sub-folder per class, and every arm is a real `zoo train` run (the command
line's `main`, in this process) on it, with `--init pretrained` or without, the same settings,
epochs and seed otherwise:

- `lstm_image_classifier` (shipped: MNIST digits), on folders of 20 and of 100 PNGs per class:
  test accuracy on the folder's own held-out 20 % (`zoo train`'s test split, what the card
  reports) and on a separately generated test folder of `TEST_PER_CLASS` images per class.
- `dcgan` (shipped: MNIST digits), on a folder of `GAN_PER_CLASS` garments per class: sample
  quality after the same number of steps under two judges trained on a larger generated set of
  garments (`JUDGE_PER_CLASS` per class), so a gain under one yardstick is checked by another:
  an `lstm_image_classifier` trained by `zoo train` (the judge `--judge-weights` takes), and the
  convolutional network of `zoo.judges` trained on the same images. Reported for each: the
  classifier score of `SAMPLES` samples as a fraction of the score of as many real images, and
  the Fréchet distance of their features to real garments beside the real-vs-real floor.
"""

import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.command import argument_parser, write_results
from benchmarks.garments import CLASSES, garments, write_folder
from benchmarks.machine import machine

HERE = Path(__file__).resolve().parent

SIZES = (20, 100)  # PNGs per class of the classifier's training folders
TEST_PER_CLASS = 200  # the separately generated test folder
GAN_PER_CLASS = 50  # the GAN's training folder
JUDGE_PER_CLASS = 300  # the judges' training images
SAMPLES = 2000  # generated images measured per GAN
CLASSIFIER = dict(epochs=30, batch_size=32)
GAN = dict(epochs=100, batch_size=64)


def train(name, folder, output, *, seed, init, settings, extra=()):
    """One `zoo train` run (the command line's own entry point, in this process); its card."""
    from zoo.cli import main

    shutil.rmtree(output, ignore_errors=True)
    argv = ["train", name, "--images", str(folder), "--output", str(output), "--seed", str(seed),
            *(f"--{k.replace('_', '-')}={v}" for k, v in settings.items()), *extra]
    argv += ["--init", "pretrained"] if init else []
    started = time.perf_counter()
    status = main(argv)
    if status:
        raise SystemExit(f"zoo {' '.join(argv)} failed with status {status}")
    card = json.loads((output / "model_card.json").read_text())
    card["wall_seconds"] = round(time.perf_counter() - started, 1)
    return card


def classifier_arms(work, seeds, test_images, test_labels):
    """Rows of the classifier comparison: per folder size, seed and start."""
    import zoo

    rows = []
    for per_class in SIZES:
        folder = write_folder(work / f"garments-{per_class}", per_class, seed=per_class)
        for seed in seeds:
            for init in (False, True):
                output = work / "runs" / f"classifier-{per_class}-{'init' if init else 'scratch'}-{seed}"
                card = train("lstm_image_classifier", folder, output, seed=seed, init=init, settings=CLASSIFIER)
                model = zoo.load("lstm_image_classifier", weights=output)
                predicted = np.argmax(model.predict(test_images, batch_size=500, verbose=0), axis=1)
                rows.append({"per_class": per_class, "seed": seed, "start": "pretrained" if init else "scratch",
                             "train_examples": card["dataset"]["train_examples"],
                             "folder_test_examples": card["dataset"]["test_examples"],
                             "folder_test_accuracy": card["metrics"]["test_accuracy"],
                             "test_accuracy": round(float(np.mean(predicted == test_labels)), 4),
                             "training_seconds": card["training_seconds"],
                             "init": card.get("init")})
                print(json.dumps(rows[-1]))
    return rows


def judges(work, seed=0):
    """{suffix: embed(images) → (features, logits)} of the two garment judges, and their test
    accuracies on the separately generated test folder."""
    import keras

    import zoo
    from zoo import judges as conv

    folder = write_folder(work / "garments-judge", JUDGE_PER_CLASS, seed=7)
    output = work / "runs" / "judge-lstm"
    card = train("lstm_image_classifier", folder, output, seed=seed, init=False,
                 settings=dict(epochs=15, batch_size=64))
    lstm = zoo.load("lstm_image_classifier", weights=output)
    images, labels = garments(JUDGE_PER_CLASS, seed=7)
    keras.utils.set_random_seed(seed)
    network = conv.build()
    network.compile(optimizer=keras.optimizers.Adam(1e-3),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    network.fit(images[..., None], labels, epochs=5, batch_size=64, verbose=2)
    return {"": lstm.features_and_logits, "_conv": conv.ConvJudge(network).features_and_logits}, card


def gan_arms(work, seeds, embeds, real_train, real_test):
    """Rows of the GAN comparison: per seed and start, the sample measures under each judge."""
    import zoo
    from zoo import metrics

    folder = write_folder(work / "garments-gan", GAN_PER_CLASS, seed=11)
    rows = []
    for seed in seeds:
        for init in (False, True):
            output = work / "runs" / f"dcgan-{'init' if init else 'scratch'}-{seed}"
            card = train("dcgan", folder, output, seed=seed, init=init, settings=GAN,
                         extra=["--quality-samples", "0"])
            model = zoo.load("dcgan", weights=output)
            generated = np.asarray(model.sample(SAMPLES, seed=12345))
            if generated.dtype != np.uint8:  # pixels in [0, 1]
                generated = np.round(generated * 255).astype(np.uint8)
            row = {"seed": seed, "start": "pretrained" if init else "scratch",
                   "train_examples": card["dataset"]["train_examples"],
                   "steps": card["epochs"] * math.ceil(card["dataset"]["train_examples"] / GAN["batch_size"]),
                   "training_seconds": card["training_seconds"], "init": card.get("init")}
            for suffix, embed in embeds.items():
                report = metrics.generated_image_report(generated, real_train[..., None], real_test[..., None], embed)
                row.update({k + suffix: v for k, v in report.items() if k != "quality_samples"})
            rows.append(row)
            print(json.dumps(rows[-1]))
    return rows


def mean_sd(values):
    values = np.asarray(values, float)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}" if len(values) > 1 else f"{values.mean():.3f}"


def table(result):
    """The Markdown tables of `result`."""
    lines = ["| PNGs per class (train / folder test) | start | folder test accuracy | test accuracy "
             f"({TEST_PER_CLASS * len(CLASSES)} new images) |", "|---|---|---|---|"]
    rows = result["classifier"]
    for per_class in SIZES:
        for start in ("scratch", "pretrained"):
            arm = [r for r in rows if r["per_class"] == per_class and r["start"] == start]
            if arm:
                lines.append(f"| {per_class} ({arm[0]['train_examples']} / {arm[0]['folder_test_examples']}) | "
                             f"{'MNIST weights' if start == 'pretrained' else 'scratch'} | "
                             f"{mean_sd([r['folder_test_accuracy'] for r in arm])} | "
                             f"{mean_sd([r['test_accuracy'] for r in arm])} |")
    lines += ["", "| dcgan start | score ratio (LSTM judge) | Fréchet (LSTM judge) | score ratio (conv judge) | "
                  "Fréchet (conv judge) |", "|---|---|---|---|---|"]
    for start in ("scratch", "pretrained"):
        arm = [r for r in result["gan"] if r["start"] == start]
        if arm:
            lines.append(f"| {'MNIST weights' if start == 'pretrained' else 'scratch'} | "
                         f"{mean_sd([r['classifier_score_ratio'] for r in arm])} | "
                         f"{mean_sd([r['frechet_distance'] for r in arm])} | "
                         f"{mean_sd([r['classifier_score_ratio_conv'] for r in arm])} | "
                         f"{mean_sd([r['frechet_distance_conv'] for r in arm])} |")
    if result["gan"]:
        first = result["gan"][0]
        lines.append(f"| real garments (floor) | 1 | {first['frechet_distance_floor']:.3f} | 1 | "
                     f"{first['frechet_distance_floor_conv']:.3f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argument_parser("benchmarks.finetune", __doc__)
    parser.add_argument("--seeds", default="0,1,2", help="training seeds of the classifier arms")
    parser.add_argument("--gan-seeds", default="0,1", help="training seeds of the dcgan arms (none: skip them)")
    parser.add_argument("--workdir", default=None, help="where the folders and runs go (default: a temporary one)")
    parser.add_argument("--output", default=str(HERE / "finetune"), help="writes OUTPUT.json and OUTPUT.md")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    gan_seeds = [int(s) for s in args.gan_seeds.split(",") if s]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="zoo-finetune-"))
    started = time.perf_counter()
    test_images, test_labels = garments(TEST_PER_CLASS, seed=3)
    result = {"command": "python -m benchmarks.finetune" + (" " + " ".join(argv) if argv else ""),
              "settings": {"classifier": {**CLASSIFIER, "sizes": SIZES, "seeds": seeds},
                           "gan": {**GAN, "per_class": GAN_PER_CLASS, "seeds": gan_seeds, "samples": SAMPLES},
                           "test_per_class": TEST_PER_CLASS, "judge_per_class": JUDGE_PER_CLASS},
              "classifier": classifier_arms(work, seeds, test_images[..., None], test_labels), "gan": []}
    if gan_seeds:
        embeds, judge_card = judges(work)
        real_train = garments(JUDGE_PER_CLASS, seed=7)[0][:SAMPLES]
        result["judges"] = {"lstm_test_accuracy_folder": judge_card["metrics"]["test_accuracy"],
                            "conv_test_accuracy": round(float(np.mean(np.argmax(
                                embeds["_conv"](test_images[..., None])[1], axis=1) == test_labels)), 4),
                            "lstm_test_accuracy": round(float(np.mean(np.argmax(
                                embeds[""](test_images[..., None])[1], axis=1) == test_labels)), 4)}
        result["gan"] = gan_arms(work, gan_seeds, embeds, real_train, test_images[:SAMPLES])
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = machine()
    where = f"{result['machine']['cpu']}, {result['machine']['cpu_count']} cores"
    write_results(args.output, result, f"{table(result)}\n\n`{result['command']}`: {result['seconds'] / 60:.1f} min "
                                       f"on {where}\n")
    print(table(result))


if __name__ == "__main__":
    main()
