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
import resource
import shutil
import time
import typing

import keras
import numpy as np

from zoo import atomic, plots
from zoo.config import at_least, one_of, option, positive
from zoo.data import video
from zoo.datasets import moving_mnist_motion as mmm
from zoo.errors import ConfigError
from zoo.recipe import Recipe, TrainSettings, check_value
from zoo.training import adam_cosine

GENERATED = video.GENERATED


@dataclasses.dataclass
class Measurement:
    num_frames: int = option(10, "frames per clip", at_least(1))


@dataclasses.dataclass
class Settings(TrainSettings, Measurement):
    epochs: int = option(14, "passes over the training clips (≈ 25 min on 2 CPU cores)", at_least(1))
    batch_size: int = option(32, "clips per training step", at_least(1))
    dataset: str = option(GENERATED, "moving_mnist_motion (generated from MNIST), or a TFDS video dataset with "
                                     "'video' and 'label' (e.g. ucf101)")
    frame_size: int = option(64, "frames are resized to this many pixels square (generated clips are 64)",
                             at_least(1))
    train_clips: int = option(30_000, "moving_mnist_motion: clips in the train split (one per MNIST train digit)",
                              at_least(1))
    test_clips: int = option(5_000, "moving_mnist_motion: clips in the test split (one per MNIST test digit)",
                             at_least(1))
    generated_data_dir: typing.Optional[str] = option(
        None, "where moving_mnist_motion is written (default: ~/tensorflow_datasets)")
    validation_examples: int = option(2_000, "clips held out from the end of the train split for validation curves",
                                      at_least(0))
    max_train_examples: int = option(0, "use only this many training clips (0: all)", at_least(0))
    max_test_examples: int = option(0, "measure only this many test clips (0: all)", at_least(0))
    learning_rate: float = option(2e-3, "peak Adam learning rate (short warm-up, then cosine decay to 0)", positive)
    cache: str = option("disk", "where decoded training clips are kept between epochs: disk (a temporary file, "
                                "removed at exit; keeps training under 4 GB of memory), memory (faster to fill, about "
                                "2× the clips' size in RAM) or none (decode every epoch)", one_of(*video.CACHES))
    baseline_epochs: int = option(4, "epochs of the single-frame baseline (0: skip it)", at_least(0))
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once)")

    def validate(self):
        super().validate()
        if self.train_clips > 60_000 or self.test_clips > 10_000:
            raise ConfigError("--train-clips can be at most 60000 and --test-clips at most 10000 (one clip "
                              "per MNIST digit).")
        if self.dataset == GENERATED:
            check_value("validation_examples", self.validation_examples, lambda v: None if v < self.train_clips else
                        f"leaves no training clips of --train-clips {self.train_clips}: must be less")
        halvings = len(self.conv_filters)
        check_value("frame_size", self.frame_size, lambda v: None if v % 2 ** halvings == 0 else
                    f"must be divisible by 2^{halvings} (one halving per convolution of --conv-filters)")


class CNNLSTMVideoRecipe(Recipe):
    name = "cnn_lstm_video"
    Settings = Settings
    Measurement = Measurement
    derived_fields = ("frame_shape", "num_classes", "class_names")
    smoke = dict(epochs=1, batch_size=8, num_frames=4, train_clips=48, test_clips=16, validation_examples=8,
                 conv_filters=[4, 8], frame_features=16, units=8, baseline_epochs=1)

    def load_data(self, config):
        self.clips = video.clip_datasets(
            config.dataset, num_frames=config.num_frames, frame_size=config.frame_size, data_dir=config.data_dir,
            download=config.download, generated_data_dir=config.generated_data_dir, train_clips=config.train_clips,
            test_clips=config.test_clips, validation_examples=config.validation_examples,
            max_train_examples=config.max_train_examples, max_test_examples=config.max_test_examples)
        return video.clip_splits(self.clips, batch_size=config.batch_size, seed=config.seed, cache=config.cache)

    def derived(self, config, data):
        return dict(frame_shape=data.info["frame_shape"], num_classes=len(data.info["class_names"]),
                    class_names=data.info["class_names"])

    def compile(self, model, config, data):
        model.compile(optimizer=adam_cosine(config.learning_rate, config.epochs, data.train.steps, clipnorm=1.0))

    def before_training(self, config, data, output, strategy):
        """The single-frame baseline: the same network trained and tested on one frame per clip
        (a resumed run finds it measured already)."""
        done = output / ".baseline.json"
        if config.baseline_epochs and done.exists():
            baseline = json.loads(done.read_text())
        elif config.baseline_epochs:
            keras.utils.set_random_seed(config.seed)
            start = time.perf_counter()
            single = video.clip_splits(video.single_frame(self.clips, config.seed), batch_size=config.batch_size * 4,
                                       seed=config.seed, cache=config.cache)
            model, _ = self.train(dataclasses.replace(config, epochs=config.baseline_epochs), single,
                                  output / ".baseline", strategy)
            baseline = {**test_metrics(model, single.test), "epochs": config.baseline_epochs,
                        "training_seconds": round(time.perf_counter() - start, 1),
                        "frames_seen": "one per clip: a random frame in training, the middle frame in testing"}
            if config.dataset == GENERATED:
                baseline["accuracy_ceiling"] = mmm.SINGLE_FRAME_CEILING
            print(f"Single-frame baseline: {baseline}")
            atomic.write_json(done, baseline)
            shutil.rmtree(output / ".baseline", ignore_errors=True)
        keras.utils.set_random_seed(config.seed)
        return {"single_frame_baseline": baseline if config.baseline_epochs else None}

    def measure(self, model, config, data):
        return test_metrics(model, data.test)

    def evaluate(self, model, settings):
        dataset = (settings.dataset or GENERATED).partition("/")[0]
        # The generated test clips depend only on the frame count and the clip's index, so
        # only the test split is generated (with one train clip).
        clips = video.clip_datasets(dataset, num_frames=settings.num_frames, frame_size=model.frame_shape[0],
                                    data_dir=settings.data_dir, train_clips=1,
                                    test_clips=settings.max_examples or 5_000, max_test_examples=settings.max_examples)
        return test_metrics(model, video.clip_splits(clips, batch_size=1, seed=0, cache="none").test)

    def pictures(self, model, config, data, output):
        labels, predictions = [], []
        for videos, y in data.test:
            labels.append(y.numpy())
            predictions.append(np.argmax(model(videos), axis=-1))
        accuracy = np.mean(np.concatenate(labels) == np.concatenate(predictions))
        plots.save_confusion_matrix(np.concatenate(labels), np.concatenate(predictions), data.info["class_names"],
                                    output / "confusion_matrix.png",
                                    title=f"{self.name} on the test split (accuracy {accuracy:.2%})")
        save_clip_strip(data.test.unbatch(), output / "clips.png", names=data.info["class_names"])
        return {"confusion_matrix": "confusion_matrix.png", "clips": "clips.png"}

    def card_sections(self, model, config, data):
        return {"peak_memory_mb": peak_memory_mb()}

    def run(self, config):
        card = super().run(config)
        (self.output_dir(config) / ".baseline.json").unlink(missing_ok=True)  # in the card now
        return card

    def notes(self, metrics, dataset):
        return [f"test metrics over {dataset['test_examples']} test clips of {dataset['num_frames']} frames",
                "single_frame_baseline: the same network trained and tested on one frame per clip",
                "peak_memory_mb: peak resident memory of the whole run (generation, baseline, training, "
                "measurement)"]


def test_metrics(model, test):
    result = model.evaluate(test, return_dict=True, verbose=0)
    return {"test_accuracy": round(float(result["accuracy"]), 6), "test_loss": round(float(result["loss"]), 6)}


def peak_memory_mb():
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def save_clip_strip(clips, path, names, count=len(mmm.MOTIONS), scan=512):
    """The first clip of each of `count` different motions in `clips` (an unbatched dataset of
    (video, label)) as a PNG strip of frames, titled with the labels' names; for a dataset other
    than moving_mnist_motion, clips of different labels."""
    ours = list(names) == mmm.class_names()

    def kind(label):  # the motion part of "d motion", or the whole label elsewhere
        return names[label].split(" ", 1)[1] if ours else label

    videos, titles, seen = [], [], set()
    for clip, label in clips.take(scan):
        if kind(int(label)) not in seen:
            seen.add(kind(int(label)))
            videos.append(np.asarray(clip))
            titles.append(names[int(label)])
        if len(videos) == count:
            break
    plots.save_clip_strip(np.stack(videos), titles, path)


RECIPE = CNNLSTMVideoRecipe()

if __name__ == "__main__":
    RECIPE.main()
