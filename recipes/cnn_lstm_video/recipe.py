"""Train `cnn_lstm_video` on clips of moving MNIST digits, beside a single-frame baseline.

    zoo train cnn_lstm_video                                   # the shipped weights
    zoo train cnn_lstm_video --dataset ucf101 --frame-size 112 --output runs/ucf101
    python -m recipes.cnn_lstm_video.recipe --smoke --output /tmp/smoke

The default dataset, `moving_mnist_motion` (zoo/datasets/moving_mnist_motion.py), is generated
from the MNIST digits of the TFDS data folder on first use and written to
`--generated-data-dir`. Its labels are digit × motion, so one frame cannot tell them apart
beyond 25 %: the recipe trains the same network on a single frame per clip as the baseline
(`--baseline-epochs`, 0 skips it) and puts both accuracies in the model card.

Any TFDS video dataset with `video` and `label` features also works (e.g. `ucf101`, RGB):
`--num-frames` frames are taken evenly spaced through each clip and resized to
`--frame-size` pixels square.
"""

import dataclasses
import json
import os
import re
import resource
import time
import typing

import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo
from zoo import data as zdata
from zoo import atomic, training
from zoo.datasets import moving_mnist_motion as mmm
from zoo.errors import ConfigError, DataError
from zoo.training import option

NAME = "cnn_lstm_video"
GENERATED = "moving_mnist_motion"
CACHES = ("disk", "memory", "none")


@dataclasses.dataclass
class Config(training.RecipeConfig):
    epochs: int = option(14, "passes over the training clips (≈ 25 min on 2 CPU cores)")
    batch_size: int = option(32, "clips per training step")
    dataset: str = option(GENERATED, "moving_mnist_motion (generated from MNIST), or a TFDS video dataset with 'video' and 'label' (e.g. ucf101)")
    num_frames: int = option(10, "frames per clip")
    frame_size: int = option(64, "frames are resized to this many pixels square (generated clips are 64)")
    train_clips: int = option(30_000, "moving_mnist_motion: clips in the train split (one per MNIST train digit)")
    test_clips: int = option(5_000, "moving_mnist_motion: clips in the test split (one per MNIST test digit)")
    generated_data_dir: typing.Optional[str] = option(None, "where moving_mnist_motion is written (default: ~/tensorflow_datasets)")
    validation_examples: int = option(2_000, "clips held out from the end of the train split for validation curves")
    max_train_examples: int = option(0, "use only this many training clips (0: all)")
    max_test_examples: int = option(0, "measure only this many test clips (0: all)")
    learning_rate: float = option(2e-3, "peak Adam learning rate (short warm-up, then cosine decay to 0)")
    conv_filters: str = option("16,32,64,64", "filters of each strided convolution of the frame encoder, comma-separated")
    frame_features: int = option(128, "features per frame fed to the LSTM")
    units: int = option(128, "LSTM units")
    num_layers: int = option(1, "stacked LSTM layers")
    dropout: float = option(0.25, "dropout on the clip summary")
    cache: str = option("disk", "where decoded training clips are kept between epochs: disk (a temporary file, removed at exit; keeps training under 4 GB of memory), memory (faster to fill, about 2× the clips' size in RAM) or none (decode every epoch)")
    baseline_epochs: int = option(4, "epochs of the single-frame baseline (0: skip it)")
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once)")

    def validate(self):
        super().validate()
        for name in ("num_frames", "frame_size", "train_clips", "test_clips", "frame_features", "units", "num_layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")
        for name in ("validation_examples", "max_train_examples", "max_test_examples", "baseline_epochs"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be 0 or more, got {getattr(self, name)}.")
        if self.train_clips > 60_000 or self.test_clips > 10_000:
            raise ConfigError("--train-clips can be at most 60000 and --test-clips at most 10000 (one clip "
                              "per MNIST digit).")
        if self.validation_examples >= self.train_clips and self.dataset == GENERATED:
            raise ConfigError(f"--validation-examples {self.validation_examples} leaves no training clips "
                              f"of --train-clips {self.train_clips}.")
        if self.cache not in CACHES:
            raise ConfigError(f"--cache must be one of {', '.join(CACHES)}, got {self.cache!r}.")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"--dropout must be in [0, 1), got {self.dropout}.")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate must be positive, got {self.learning_rate}.")
        filters = self.filters()
        if self.frame_size % 2 ** len(filters):
            raise ConfigError(f"--frame-size {self.frame_size} must be divisible by 2^{len(filters)} (one halving "
                              f"per convolution of --conv-filters {self.conv_filters}).")

    def filters(self):
        try:
            filters = [int(f) for f in self.conv_filters.split(",")]
        except ValueError:
            filters = []
        if not filters or min(filters) < 1:
            raise ConfigError(f"--conv-filters must be positive integers separated by commas (e.g. 16,32,64), "
                              f"got {self.conv_filters!r}.")
        return filters


SMOKE = dict(epochs=1, batch_size=8, num_frames=4, train_clips=48, test_clips=16, validation_examples=8,
             conv_filters="4,8", frame_features=16, units=8, baseline_epochs=1)


@dataclasses.dataclass
class VideoData:
    train: object  # batched tf.data.Dataset of (uint8 [batch, frames, size, size, channels], label)
    validation: object
    test: object
    info: dict
    single_frame: typing.Any = None  # the same splits, one frame per clip (the baseline's data)


def generated_data_dir(config):
    """--generated-data-dir, else ~/tensorflow_datasets: never the data folder MNIST is read
    from, which may be a read-only shared copy."""
    return os.path.expanduser(config.generated_data_dir or os.path.join("~", "tensorflow_datasets"))


def generated_builder(config):
    """The moving_mnist_motion builder for `config`, generated on first use."""
    builder = mmm.MovingMnistMotion(
        config=mmm.builder_config(config.num_frames, config.train_clips, config.test_clips),
        data_dir=generated_data_dir(config), mnist_data_dir=zdata.resolve_data_dir(config.data_dir),
        download_mnist=config.download)
    if not builder.is_prepared():
        # MNIST first, with the data layer's message (where it looked, what to do) if it is missing.
        zdata.load_builder("mnist", config.data_dir, download=config.download)
        print(f"Generating {builder.info.full_name} from MNIST into {builder.data_dir} (once) ...")
        try:
            builder.download_and_prepare()
        except DataError:
            raise
        except Exception as e:  # noqa: BLE001  MNIST missing offline, a disk full: say which
            raise DataError(f"Could not generate {GENERATED}: {type(e).__name__}: {str(e).splitlines()[0]} "
                            "It is made from MNIST: point --data-dir or TFDS_DATA_DIR at a folder holding "
                            "a prepared mnist/.") from e
    return builder


def _check_video(info, name):
    features = info.features
    if "video" not in features or "label" not in features or not hasattr(features["label"], "num_classes"):
        raise DataError(f"Dataset {name!r} has features {sorted(features)}; {NAME} needs a video dataset with "
                        "'video' (frames) and 'label' (a ClassLabel), e.g. moving_mnist_motion or ucf101.")


def load_data(config):
    """Batched train / validation / test clips as uint8, and the single-frame splits when the
    baseline is wanted."""
    if config.dataset == GENERATED:
        builder = generated_builder(config)
    else:
        builder = zdata.load_builder(config.dataset, config.data_dir, download=config.download,
                                     check=lambda info: _check_video(info, config.dataset))
    video = builder.info.features["video"]
    channels = int(video.shape[-1])
    size, frames = config.frame_size, config.num_frames

    def clip(example):
        """`frames` frames evenly spaced through the clip, resized to size × size, uint8."""
        v = example["video"]
        length = tf.shape(v)[0]
        index = tf.cast(tf.round(tf.linspace(0.0, tf.cast(length - 1, tf.float32), frames)), tf.int32)
        v = tf.gather(v, index)
        if tuple(video.shape[1:3]) != (size, size):
            v = tf.cast(tf.clip_by_value(tf.round(tf.image.resize(v, (size, size))), 0, 255), tf.uint8)
        return tf.ensure_shape(v, (frames, size, size, channels)), example["label"]

    train_total = builder.info.splits["train"].num_examples if builder.info.splits else 0
    n_validation = config.validation_examples
    n_train = max(train_total - n_validation, 0) if train_total else None
    if config.max_train_examples:
        n_train = min(n_train, config.max_train_examples) if n_train is not None else config.max_train_examples

    def split(spec):
        # No TFDS auto-cache: it would keep every decoded clip of a split in memory on top of
        # the recipe's own (--cache) cache of the training clips.
        return builder.as_dataset(split=spec, shuffle_files=False,
                                  read_config=tfds.ReadConfig(try_autocache=False)).map(
            clip, num_parallel_calls=zdata.AUTOTUNE)

    train = split(f"train[:{n_train}]" if n_train is not None else "train")
    validation = split(f"train[-{n_validation}:]") if n_validation and train_total else None
    test = split(f"test[:{config.max_test_examples}]" if config.max_test_examples else "test")
    test_examples = int(test.cardinality()) if int(test.cardinality()) >= 0 else None
    info = {
        "name": builder.info.full_name.rsplit("/", 1)[0],  # name/config, without the version
        "version": str(builder.info.version),
        "train_examples": n_train, "validation_examples": n_validation if validation is not None else 0,
        "test_examples": test_examples, "frame_shape": [size, size, channels], "num_frames": frames,
        "class_names": list(builder.info.features["label"].names),
    }

    def batched(splits, batch):
        # Memory: only the train clips are cached, as uint8 (1.1 GB for the defaults), on disk
        # by default: held in memory the cache costs about twice that in resident memory. TFDS
        # wrote the clips in shuffled order, so a 2,048-clip shuffle buffer mixes enough
        # without a second copy of the split. Validation and test clips are decoded when read.
        train, validation, test = splits
        return (zdata.batched(train, batch, shuffle_seed=config.seed, shuffle_buffer=2048,
                              cache=_train_cache(config.cache)),
                zdata.batched(validation, 256, cache=False) if validation is not None else None,
                zdata.batched(test, 256, cache=False))

    single = None
    if config.baseline_epochs:
        single = batched((_one_random_frame(train, config.seed), _middle_frame(validation), _middle_frame(test)),
                         config.batch_size * 4)
    train_b, validation_b, test_b = batched((train, validation, test), config.batch_size)
    return VideoData(train_b, validation_b, test_b, info, single)


def _train_cache(kind):
    """zdata.batched's `cache` for --cache: on disk, a file in a fresh temporary folder that
    is removed when the process exits (a fresh folder per run: a killed run's leftovers never
    collide with the next one's)."""
    if kind != "disk":
        return kind == "memory"
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix=f"zoo-{NAME}-cache-")
    atexit.register(shutil.rmtree, folder, True)
    return os.path.join(folder, "train")


def _middle_frame(ds):
    if ds is None:
        return None
    return ds.map(lambda v, y: (v[tf.shape(v)[0] // 2][None], y))


def _one_random_frame(ds, seed):
    """Each training clip's frame t, t drawn per clip from (seed, clip index): the baseline sees
    as many different frames as it can, and the same ones on a rerun."""
    def pick(index, example):
        v, y = example
        key = tf.stack([tf.constant(seed, tf.int64), index])
        t = tf.random.stateless_uniform((), key, 0, tf.shape(v)[0], dtype=tf.int32)
        return v[t][None], y

    return ds.enumerate().map(pick)


def model_overrides(config, data):
    return dict(frame_shape=data.info["frame_shape"], num_classes=len(data.info["class_names"]),
                class_names=data.info["class_names"], conv_filters=config.filters(),
                frame_features=config.frame_features, units=config.units, num_layers=config.num_layers,
                dropout=config.dropout, seed=config.seed)


def evaluate(model, data_dir=None, dataset=GENERATED, max_examples=0, num_frames=10):
    """Test-split metrics of `model`, with the model card's keys. `dataset` is a name as the card
    records it (moving_mnist_motion/<builder config>). The generated test clips depend only on
    the frame and test-clip counts, so only the test split is generated (with one train clip)."""
    name, _, builder_config = dataset.partition("/")
    config = Config(dataset=name, data_dir=data_dir, max_test_examples=max_examples, num_frames=int(num_frames),
                    validation_examples=0, baseline_epochs=0, frame_size=model.frame_shape[0])
    if name == GENERATED:
        test_clips = re.search(r"_test_(\d+)$", builder_config)
        config.train_clips, config.test_clips = 1, int(test_clips.group(1)) if test_clips else config.test_clips
    return test_metrics(model, load_data(config).test)


def test_metrics(model, test):
    result = model.evaluate(test, return_dict=True, verbose=0)
    return {"test_accuracy": round(float(result["accuracy"]), 6), "test_loss": round(float(result["loss"]), 6)}


def peak_memory_mb():
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def train(config, data, output, train, validation, epochs, strategy):
    with strategy.scope():
        model = zoo.load(NAME, **model_overrides(config, data))
        model.compile(optimizer=training.adam_cosine(config.learning_rate, epochs, int(train.cardinality()),
                                                     clipnorm=1.0))
    history = training.fit(model, train, validation, dataclasses.replace(config, epochs=epochs), output)
    return model, history


def run(config):
    strategy = training.distribution(config)
    keras.utils.set_random_seed(config.seed)
    data = load_data(config)
    output = config.output_dir(NAME)
    print(f"Training {NAME} on {data.info['name']} ({data.info['train_examples']} clips of "
          f"{config.num_frames} frames) → {output}")
    baseline = None
    baseline_file = output / ".baseline.json"
    if data.single_frame is not None and baseline_file.exists():  # a resumed run: measured already
        baseline = json.loads(baseline_file.read_text())
    elif data.single_frame is not None:
        keras.utils.set_random_seed(config.seed)
        start = time.perf_counter()
        single_model, _ = train(config, data, output / ".baseline", *data.single_frame[:2], config.baseline_epochs,
                                strategy)
        baseline = {**test_metrics(single_model, data.single_frame[2]), "epochs": config.baseline_epochs,
                    "training_seconds": round(time.perf_counter() - start, 1),
                    "frames_seen": "one per clip: a random frame in training, the middle frame in testing"}
        if config.dataset == GENERATED:
            baseline["accuracy_ceiling"] = mmm.SINGLE_FRAME_CEILING
        print(f"Single-frame baseline: {baseline}")
        del single_model
        atomic.write_json(baseline_file, baseline)
        _remove_tree(output / ".baseline")
    keras.utils.set_random_seed(config.seed)
    model, history = train(config, data, output, data.train, data.validation, config.epochs, strategy)
    metrics = test_metrics(model, data.test)
    labels, predictions = _labels_and_predictions(model, data.test)
    extra_files = {"confusion_matrix": "confusion_matrix.png", "clips": "clips.png"}
    training.save_confusion_matrix(labels, predictions, data.info["class_names"], output / "confusion_matrix.png",
                                   title=f"{NAME} on the test split (accuracy {metrics['test_accuracy']:.2%})")
    mmm.save_clip_strip(data.test.unbatch(), output / "clips.png", names=data.info["class_names"])
    extra = {"peak_memory_mb": peak_memory_mb(), "single_frame_baseline": baseline}
    card = training.save_trained(
        model, NAME, output, config=config, epochs=history, metrics=metrics, dataset=data.info, extra=extra,
        extra_files=extra_files,
        notes=[f"test metrics over {data.info['test_examples']} test clips of {config.num_frames} frames",
               "single_frame_baseline: the same network trained and tested on one frame per clip",
               "peak_memory_mb: peak resident memory of the whole run (generation, baseline, training, "
               "measurement)"])
    baseline_file.unlink(missing_ok=True)
    return card


def _labels_and_predictions(model, test):
    labels, predictions = [], []
    for videos, y in test:
        labels.append(y.numpy())
        predictions.append(np.argmax(model(videos), axis=-1))
    return np.concatenate(labels), np.concatenate(predictions)


def _remove_tree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def main(argv=None):
    return run(training.parse_config(Config, argv, SMOKE, prog=f"zoo train {NAME}", description=__doc__))


if __name__ == "__main__":
    main()
