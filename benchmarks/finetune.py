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

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
SIZES = (20, 100)  # PNGs per class of the classifier's training folders
TEST_PER_CLASS = 200  # the separately generated test folder
GAN_PER_CLASS = 50  # the GAN's training folder
JUDGE_PER_CLASS = 300  # the judges' training images
SAMPLES = 2000  # generated images measured per GAN
CLASSIFIER = dict(epochs=30, batch_size=32)
GAN = dict(epochs=100, batch_size=64)

# Silhouettes on a 56×56 canvas (drawn at twice the size, then averaged down to 28×28):
# polygons, and for some classes dark details drawn over them (a coat's opening, a shirt's
# collar and buttons) or extra parts (a bag's handle, a sandal's straps).
_BODY = {
    "t-shirt": [(22, 8), (14, 10), (5, 20), (11, 26), (17, 21), (17, 48), (39, 48), (39, 21), (45, 26), (51, 20),
                (42, 10), (34, 8), (28, 13)],
    "pullover": [(22, 8), (14, 10), (7, 44), (13, 46), (17, 23), (17, 48), (39, 48), (39, 23), (43, 46), (49, 44),
                 (42, 10), (34, 8), (28, 12)],
    "coat": [(22, 6), (13, 9), (6, 48), (12, 50), (16, 24), (15, 52), (41, 52), (40, 24), (44, 50), (50, 48),
             (43, 9), (34, 6), (28, 10)],
    "shirt": [(23, 8), (15, 10), (8, 42), (13, 44), (18, 23), (18, 49), (38, 49), (38, 23), (43, 44), (48, 42),
              (41, 10), (33, 8), (28, 14)],
    "dress": [(22, 5), (34, 5), (35, 20), (47, 51), (9, 51), (21, 20)],
    "sneaker": [(5, 45), (51, 45), (51, 37), (38, 32), (28, 24), (15, 26), (8, 33)],
    "ankle boot": [(16, 7), (31, 7), (31, 31), (48, 37), (51, 48), (14, 48)],
    "bag": [(9, 22), (47, 22), (49, 50), (7, 50)],
    "trouser": [(17, 5), (39, 5), (40, 51), (31, 51), (28, 17), (25, 51), (16, 51)],
    "sandal": [(6, 41), (51, 41), (51, 46), (6, 46)],
}


def draw_garment(kind, rng):
    """One 28×28 uint8 grey image of `kind` (one of `CLASSES`), drawn with `rng`'s draws."""
    from PIL import Image, ImageDraw

    shade = int(rng.integers(90, 256))
    canvas = Image.new("L", (56, 56), 0)
    pen = ImageDraw.Draw(canvas)
    # Every garment its own cut: each corner of the silhouette moved by up to 3 of 56 pixels.
    pen.polygon([(x + rng.uniform(-3, 3), y + rng.uniform(-3, 3)) for x, y in _BODY[kind]], fill=shade)
    dark = int(shade * rng.uniform(0.2, 0.5))
    if kind == "coat":
        pen.line([(28, 10), (28, 52)], fill=dark, width=2)
        pen.polygon([(22, 6), (28, 18), (34, 6)], fill=dark)
    elif kind == "shirt":
        pen.polygon([(23, 8), (28, 16), (33, 8)], fill=dark)
        for y in range(20, 48, 7):
            pen.ellipse([(27, y), (29, y + 2)], fill=dark)
    elif kind == "bag":
        pen.arc([(16, 6), (40, 34)], 180, 360, fill=shade, width=4)
    elif kind == "sandal":
        for x in (10, 22, 34):
            pen.line([(x, 41), (x + 8, 27)], fill=shade, width=3)
        pen.line([(14, 30), (46, 30)], fill=shade, width=2)
    elif kind == "sneaker":
        pen.line([(5, 41), (51, 41)], fill=dark, width=2)
    if rng.random() < 0.4:  # a printed pattern: stripes across the garment
        pixels = np.asarray(canvas).astype(np.float32)
        period = int(rng.integers(4, 9))
        stripes = (np.arange(56)[:, None] // (period // 2 + 1)) % 2
        pixels *= np.where(stripes, 1.0, rng.uniform(0.4, 0.8))
        canvas = Image.fromarray(pixels.astype(np.uint8))
    scale_x, scale_y = rng.uniform(0.7, 1.1), rng.uniform(0.75, 1.05)
    angle = math.radians(rng.uniform(-10, 10))
    dx, dy = rng.uniform(-4, 4, size=2)
    # The inverse map PIL's affine transform takes (output pixel → input pixel, about the
    # centre): the inverse of scaling, then rotating, then shifting by (dx, dy).
    cos, sin = math.cos(angle), math.sin(angle)
    a, b, d, e = cos / scale_x, sin / scale_x, -sin / scale_y, cos / scale_y
    centre = 28.0
    matrix = (a, b, centre - a * (centre + dx) - b * (centre + dy), d, e, centre - d * (centre + dx) - e * (centre + dy))
    canvas = canvas.transform((56, 56), Image.AFFINE, matrix, resample=Image.BILINEAR)
    image = np.asarray(canvas.resize((28, 28), Image.BOX), np.float32)
    image += rng.normal(0, 16, image.shape) * (image > 0)  # fabric texture, on the garment only
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def garments(per_class, seed):
    """(uint8 images [per_class × 10, 28, 28], int labels) drawn with `seed`, classes interleaved."""
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(len(CLASSES)), per_class)
    return np.stack([draw_garment(CLASSES[label], rng) for label in labels]), labels


def folder_name(label):
    """A class's sub-folder: numbered, so the folder's sorted classes are `CLASSES` in order."""
    return f"{label}_{CLASSES[label].replace(' ', '_')}"


def write_folder(folder, per_class, seed):
    """A folder of `per_class` PNGs per garment class (one sub-folder each); returns it."""
    from PIL import Image

    images, labels = garments(per_class, seed)
    shutil.rmtree(folder, ignore_errors=True)
    for label in range(len(CLASSES)):
        (folder / folder_name(label)).mkdir(parents=True)
    for i, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image).save(folder / folder_name(label) / f"{i:05d}.png")
    return folder


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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.finetune", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
    from benchmarks.run import machine

    result["machine"] = machine()
    output = Path(args.output)
    output.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    where = f"{result['machine']['cpu']}, {result['machine']['cpu_count']} cores"
    output.with_suffix(".md").write_text(f"{table(result)}\n\n`{result['command']}`: {result['seconds'] / 60:.1f} min "
                                         f"on {where}\n")
    print(table(result))


if __name__ == "__main__":
    main()
