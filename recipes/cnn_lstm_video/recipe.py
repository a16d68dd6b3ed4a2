"""Train `cnn_lstm_video` on clips of moving MNIST digits, for clips of any length, beside a
single-frame baseline.

    zoo train cnn_lstm_video                                   # the shipped weights
    zoo train cnn_lstm_video --dataset ucf101 --frame-size 112 --output runs/ucf101
    python -m recipes.cnn_lstm_video.recipe --smoke --output /tmp/smoke

The default dataset, `moving_mnist_motion` (zoo/datasets/moving_mnist_motion.py), is generated
from the MNIST digits of the TFDS data folder on first use (clips of `--clip-frames` frames) and
written to `--generated-data-dir`. Its labels are digit × motion, so one frame cannot tell them
apart beyond 25 %: the recipe trains the same network on a single frame per clip as the baseline
(`--baseline-epochs`, 0 skips it) and puts both accuracies in the model card.

Every training batch is cut to a window of L consecutive frames, L drawn per batch from
`--shortest-window` … `--clip-frames`, each clip's window starting at a random frame, and the
loss covers the model's answer after every frame of the window: each batch trains every clip
length up to L. The test measures accuracy at every length from 1 to `--clip-frames` frames
(the first L frames of each test clip, which are the L-frame clip the dataset's rules make);
the headline `test_accuracy` is the one at `--num-frames`.

Any TFDS video dataset with `video` and `label` features also works (e.g. `ucf101`, RGB):
`--clip-frames` frames are taken evenly spaced through each clip and resized to
`--frame-size` pixels square.
"""

import dataclasses
import resource
import shutil
import time
import typing

import keras
import numpy as np
import tensorflow as tf

from zoo import atomic, plots
from zoo.config import at_least, option, optional, positive
from zoo.data import video
from zoo.datasets import moving_mnist_motion as mmm
from zoo.errors import ConfigError
from zoo.recipe import (Results, VideoMeasurement, VideoRecipe, VideoSettings, check_value, classification_metrics,
                        folder_dataset)

GENERATED = video.GENERATED


# Clip lengths of the per-length table (those up to --clip-frames are measured).
TABLE_LENGTHS = (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32, 40)


@dataclasses.dataclass
class Measurement(VideoMeasurement):
    num_frames: int = option(10, "clip length of the headline test accuracy (the first frames of each test clip)",
                             at_least(1))

    def validate(self):
        check_value("num_frames", self.num_frames, lambda v: None if v <= self.clip_frames else
                    f"must be at most --clip-frames {self.clip_frames}")


@dataclasses.dataclass
class Settings(VideoSettings, Measurement):
    epochs: int = option(11, "passes over the training clips (≈ 28 min on 2 CPU cores)", at_least(1))
    batch_size: int = option(32, "clips per training step", at_least(1))
    videos: typing.Optional[str] = option(
        None, "a folder of your own videos (GIF, MP4, ...: whatever FFmpeg reads, via PyAV) instead of --dataset, "
              "one sub-folder per class; --clip-frames frames taken evenly spaced from each, resized to "
              "--frame-size, 20 % of the videos held out as the test split")
    frame_size: int = option(64, "frames are resized to this many pixels square (generated clips are 64)",
                             at_least(1))
    validation_examples: typing.Optional[int] = option(
        2_000, "clips held out from the end of the train split for validation curves (--videos: 10 % of the "
               "folder's training videos unless given)", optional(at_least(0)))
    learning_rate: float = option(2e-3, "peak Adam learning rate (short warm-up, then cosine decay to 0)", positive)
    shortest_window: int = option(2, "shortest training window (frames); the longest is --clip-frames", at_least(1))
    baseline_epochs: int = option(4, "epochs of the single-frame baseline (0: skip it)", at_least(0))

    def validate(self):
        VideoSettings.validate(self)
        Measurement.validate(self)
        if self.videos:
            self.dataset = folder_dataset(self.videos, "--videos")
        check_value("shortest_window", self.shortest_window, lambda v: None if v <= self.clip_frames else
                    f"must be at most --clip-frames {self.clip_frames}")
        if self.train_clips > 60_000 or self.test_clips > 10_000:
            raise ConfigError("--train-clips can be at most 60000 and --test-clips at most 10000 (one clip "
                              "per MNIST digit).")
        if self.dataset == GENERATED and self.validation_examples is not None:
            check_value("validation_examples", self.validation_examples, lambda v: None if v < self.train_clips else
                        f"leaves no training clips of --train-clips {self.train_clips}: must be less")
        halvings = len(self.conv_filters)
        check_value("frame_size", self.frame_size, lambda v: None if v % 2 ** halvings == 0 else
                    f"must be divisible by 2^{halvings} (one halving per convolution of --conv-filters)")


class CNNLSTMVideoRecipe(VideoRecipe):
    name = "cnn_lstm_video"
    answers = ("Can a CNN that sees one frame at a time, feeding an LSTM, classify what happens over a clip "
               "(the digit and its motion), at clip lengths it was never trained on?")
    Settings = Settings
    Measurement = Measurement
    derived_fields = ("frame_shape", "num_classes", "class_names", "min_frames")
    smoke = dict(epochs=1, batch_size=8, num_frames=4, clip_frames=6, train_clips=48, test_clips=16, validation_examples=8,
                 conv_filters=[4, 8], frame_features=16, units=8, baseline_epochs=1)

    def load_data(self, config):
        clips = video.clip_datasets(
            config.dataset, clip_frames=config.clip_frames, frame_size=config.frame_size, **self.clip_source(config),
            validation_examples=config.validation_examples, max_train_examples=config.max_train_examples,
            max_test_examples=config.max_test_examples)
        return video.clip_splits(clips, batch_size=config.batch_size, seed=config.seed, cache=config.cache,
                                 windows=(config.shortest_window, config.clip_frames))

    def derived(self, config, data):
        ours = data.info["class_names"] == mmm.class_names()
        return dict(super().derived(config, data), num_classes=len(data.info["class_names"]),
                    class_names=data.info["class_names"], min_frames=mmm.MIN_FRAMES_FOR_MOTION if ours else 1)

    def before_training(self, config, data, output, strategy):
        """The single-frame baseline: the same network trained and tested on one frame per clip."""
        if not config.baseline_epochs:
            return {"single_frame_baseline": None}
        keras.utils.set_random_seed(config.seed)
        start = time.perf_counter()
        single = video.clip_splits(video.single_frame(data.sources, config.seed), batch_size=config.batch_size * 4,
                                   seed=config.seed, cache=config.cache)
        model, _ = self.train(dataclasses.replace(config, epochs=config.baseline_epochs), single, output / ".baseline",
                              strategy)
        baseline = {**classification_metrics(model, single.test), "epochs": config.baseline_epochs,
                    "training_seconds": round(time.perf_counter() - start, 1),
                    "frames_seen": "one per clip: a random frame in training, the middle frame in testing"}
        if config.dataset == GENERATED:
            baseline["accuracy_ceiling"] = mmm.SINGLE_FRAME_CEILING
        print(f"Single-frame baseline: {baseline}")
        shutil.rmtree(output / ".baseline", ignore_errors=True)
        return {"single_frame_baseline": baseline}

    def headline(self, card):
        m = card["metrics"]
        by = {int(k): v for k, v in m.get("test_accuracy_by_frames", {}).items()}
        text = (f"**{100 * m['test_accuracy']:.2f} %** test accuracy on {m.get('num_frames', '?')}-frame clips "
                f"({card['dataset']['test_examples']:,} clips)")
        longer = [v for k, v in by.items() if k >= 3]
        if longer:
            text += (f"; {100 * min(longer):.2f}–{100 * max(longer):.2f} % at every length from 3 to {max(by)} "
                     f"frames" + (f", {100 * by[2]:.2f} % at 2" if 2 in by else ""))
        baseline = card.get("single_frame_baseline")
        if baseline:
            text += (f"; single-frame baseline {100 * baseline['test_accuracy']:.2f} % (ceiling "
                     f"{100 * baseline['accuracy_ceiling']:.0f} %)")
        return text

    def measure(self, model, config, data):
        metrics, (labels, predictions) = length_metrics(model, data.test, config.num_frames,
                                                        data.info["class_names"], keep_predictions=True)
        return Results(metrics, artefacts={"labels": labels, "predictions": predictions})

    def evaluate(self, model, settings):
        dataset = settings.dataset.partition("/")[0]
        # The generated test clips depend only on the frame count and the clip's index, so
        # only the test split is generated (with one train clip).
        clips = video.clip_datasets(dataset, clip_frames=settings.clip_frames, frame_size=model.frame_shape[0],
                                    data_dir=settings.data_dir, generated_data_dir=settings.generated_data_dir,
                                    train_clips=1, test_clips=settings.max_examples or 5_000,
                                    max_test_examples=settings.max_examples)
        test = video.clip_splits(clips, batch_size=1, seed=0, cache="none").test
        return length_metrics(model, test, settings.num_frames, clips["info"]["class_names"])

    def pictures(self, model, config, data, results, output):
        labels, predictions = results.artefacts["labels"], results.artefacts["predictions"]  # at --num-frames
        accuracy = np.mean(labels == predictions)
        plots.save_confusion_matrix(labels, predictions, data.info["class_names"],
                                    output / "confusion_matrix.png",
                                    title=f"{self.name}, test clips of {config.num_frames} frames "
                                          f"(accuracy {accuracy:.2%})")
        save_clip_strip(data.test.unbatch().map(lambda v, y: (v[:config.num_frames], y)), output / "clips.png",
                        names=data.info["class_names"])
        save_length_plot(results.metrics, results.sections["single_frame_baseline"],
                         output / "accuracy_by_frames.png")
        return {"confusion_matrix": "confusion_matrix.png", "clips": "clips.png",
                "accuracy_by_frames": "accuracy_by_frames.png"}

    def card_sections(self, model, config, data, results):
        return {**super().card_sections(model, config, data, results), "peak_memory_mb": peak_memory_mb()}

    def input_shapes(self, config, saved):
        if "frame_shape" not in saved:
            return {}
        size, _, channels = saved["frame_shape"]
        return {"frame_shape": ([config.frame_size, config.frame_size, channels], f"--frame-size {size}")}

    def notes(self, metrics, dataset):
        return [f"test_accuracy, test_loss: {dataset['test_examples']} test clips, their first {metrics['num_frames']} "
                "frames",
                "test_accuracy_by_frames: accuracy on the first L frames of each test clip, for each clip length L "
                "(the L-frame clips the dataset's rules make); the model's answer after frame L of one pass",
                "digit_accuracy_by_frames: how often the predicted class has the right digit, whatever its motion",
                "single_frame_baseline: the same network trained and tested on one frame per clip",
                "peak_memory_mb: peak resident memory of the whole run (generation, baseline, training, "
                "measurement)"]


def length_metrics(model, test, num_frames, class_names, keep_predictions=False):
    """Accuracy at every clip length: one pass of each test clip through the model gives its
    answer after every frame (the LSTM reads forward only, so the answer after frame L is the
    answer to the clip of the first L frames). Returns the headline `test_accuracy` and
    `test_loss` at `num_frames`, and {length: accuracy} tables for the lengths of
    `TABLE_LENGTHS` the clips reach (and, for moving_mnist_motion, of the digit alone). With
    `keep_predictions`, also (labels, predicted classes) at `num_frames`, for the pictures."""
    steps = tf.function(lambda videos: model.step_logits(videos, training=False))
    right, digit_right, loss, count = 0, 0, 0.0, 0
    kept = ([], [])
    for videos, labels in test:
        logits = steps(videos)
        predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
        if keep_predictions:
            kept[0].append(labels.numpy())
            kept[1].append(predicted[:, num_frames - 1].numpy())
        truth = tf.cast(labels, tf.int32)[:, None]
        right += tf.reduce_sum(tf.cast(predicted == truth, tf.int64), axis=0).numpy()
        digit_right += tf.reduce_sum(tf.cast(predicted // len(mmm.MOTIONS) == truth // len(mmm.MOTIONS), tf.int64),
                                     axis=0).numpy()
        loss += float(tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(
            labels, logits[:, num_frames - 1], from_logits=True)))
        count += int(labels.shape[0])
    frames = len(right)
    if frames < num_frames:
        raise ConfigError(f"The test clips have {frames} frames, fewer than --num-frames {num_frames}.")
    lengths = [n for n in TABLE_LENGTHS if n <= frames]
    metrics = {"test_accuracy": round(right[num_frames - 1] / count, 6), "test_loss": round(loss / count, 6),
               "num_frames": num_frames,
               "test_accuracy_by_frames": {str(n): round(right[n - 1] / count, 6) for n in lengths}}
    if list(class_names) == mmm.class_names():
        metrics["digit_accuracy_by_frames"] = {str(n): round(digit_right[n - 1] / count, 6) for n in lengths}
    return (metrics, tuple(np.concatenate(k) for k in kept)) if keep_predictions else metrics


def save_length_plot(metrics, baseline, path):
    """Test accuracy against clip length, with the digit's accuracy and the single-frame baseline."""
    import matplotlib.pyplot as plt  # noqa: PLC0415  (only a run that draws pictures needs it)

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for key, label in (("test_accuracy_by_frames", "class (digit × motion)"),
                       ("digit_accuracy_by_frames", "digit only")):
        if key in metrics:
            table = metrics[key]
            ax.plot([int(n) for n in table], [100 * v for v in table.values()], marker="o", label=label)
    if baseline:
        ax.axhline(100 * baseline["test_accuracy"], color="grey", linestyle="--",
                   label=f"single-frame baseline ({100 * baseline['test_accuracy']:.1f} %)")
    ax.set_xscale("log")
    ticks = [int(n) for n in metrics["test_accuracy_by_frames"]]
    ax.set_xticks(ticks, [str(n) for n in ticks])
    ax.minorticks_off()
    ax.set_xlabel("frames in the clip")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 101)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("cnn_lstm_video: accuracy by clip length")
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


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
