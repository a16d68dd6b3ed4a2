"""Train `convlstm_video` to generate the next frames of moving MNIST clips, and measure the
frames it generates against the copy-last-frame baseline.

    zoo train convlstm_video                          # one digit: 5 frames seen → 5 generated
    zoo train convlstm_video --digits 2 --clip-frames 20 --observed-frames 10 --predicted-frames 10 \\
        --train-clips 16000 --output runs/convlstm_video_two_digits   # Moving MNIST's own protocol
    zoo evaluate convlstm_video --weights W --test-dataset moving_mnist   # the published test set
    python -m recipes.convlstm_video.recipe --smoke --output /tmp/smoke

Data: `moving_mnist_motion` (zoo/datasets/moving_mnist_motion.py), generated from the MNIST of
the TFDS data folder on first use: one digit moving along an axis, labelled digit × motion, or
(`--digits 2`) two digits moving in random directions at random speeds, bouncing, as Srivastava
et al. (2015) made Moving MNIST. Each training batch is cut to windows of observed + predicted
frames starting anywhere in the clips. Test clips: their first observed + predicted frames.
TFDS's `moving_mnist` (the published 10,000 test sequences, 20 frames) can be measured on
(`--test-dataset moving_mnist`) where TFDS can download it.

Reported, each beside the copy-last-frame baseline: per-frame squared error (the sum over a
frame's 64×64 pixels in [0, 1], averaged over the generated frames: the Moving MNIST papers'
convention), per-frame binary cross-entropy (nats, summed over pixels) and SSIM. For one-digit
clips, a semantic check: the shipped `cnn_lstm_video` classifies the generated frames alone
(digit × motion), beside its accuracy on the true continuation.
"""

import dataclasses
import typing

import numpy as np
import tensorflow as tf

from zoo import plots
from zoo.config import at_least, one_of, option
from zoo.data import Splits, batched, shuffled_batches
from zoo.data import video
from zoo.recipe import Results, VideoMeasurement, VideoRecipe, VideoSettings, check_value

GENERATED = video.GENERATED


@dataclasses.dataclass
class Measurement(VideoMeasurement):
    clip_frames: int = option(40, "frames per generated clip: training windows of observed + predicted frames are "
                                  "cut from them, and test clips are their first frames", at_least(2))
    predicted_frames: int = option(5, "frames generated after the observed ones, in training and measurement",
                                   at_least(1))
    test_dataset: typing.Optional[str] = option(
        None, "measured on: the test split of the training dataset (default), or moving_mnist (TFDS: the published "
              "10,000 test sequences of two digits) or another TFDS video dataset")
    digits: int = option(1, "moving_mnist_motion: digits per clip: 1 (labelled digit × motion) or 2 (Moving "
                            "MNIST's own protocol)", one_of(1, 2))


@dataclasses.dataclass
class Settings(Measurement, VideoSettings):  # Measurement first: its clip_frames (at least 2) wins
    epochs: int = option(1, "passes over the training clips (one pass of 30,000 clips ≈ 27 min on 2 CPU cores)",
                         at_least(1))

    def validate(self):
        VideoSettings.validate(self)
        observed = self.observed_frames  # a model field: this dataclass is merged with the model's
        check_value("predicted_frames", self.predicted_frames, lambda v: None if observed + v <= self.clip_frames
                    else f"plus --observed-frames {observed} must be at most --clip-frames {self.clip_frames}")


class ConvLSTMVideoRecipe(VideoRecipe):
    name = "convlstm_video"
    answers = "Can a ConvLSTM generate the next frames of a video, sharp enough that a classifier still names them?"
    Settings = Settings
    Measurement = Measurement
    smoke = dict(epochs=1, batch_size=4, clip_frames=6, observed_frames=2, predicted_frames=3, train_clips=16,
                 test_clips=8, encoder_filters=[4, 8], lstm_filters=[8])

    def load_data(self, config):
        window = config.observed_frames + config.predicted_frames
        train, info = video.frame_sequences(config.dataset, clip_frames=config.clip_frames, split="train",
                                            digits=config.digits, max_examples=config.max_train_examples,
                                            **self.clip_source(config))
        test, test_info = held_out_clips(config, config.test_dataset or config.dataset, config.observed_frames,
                                         config.max_test_examples, train_clips=config.train_clips,
                                         test_clips=config.test_clips)
        info = {**info, "test_dataset": test_info["name"], "test_version": test_info["version"],
                "test_examples": test_info["test_examples"],
                "digits": config.digits, "observed_frames": config.observed_frames,
                "predicted_frames": config.predicted_frames}
        return Splits(train=shuffled_batches(train, config.batch_size, seed=config.seed, shuffle_buffer=1024,
                                             cache=video.train_cache(config.cache),
                                             batch_map=video.random_windows(window, window, seed=config.seed)),
                      validation=None, test=batched(test, 64, cache=False), info=info)

    def headline(self, card):
        m = card["metrics"]
        return (f"**{m['test_mse']:.2f}** per-frame MSE, {m['observed_frames']} frames seen → {m['predicted_frames']} "
                f"generated ({m['test_clips']:,} test clips): {m['mse_ratio_to_copy_last']:.2f} of copying the last "
                f"frame ({m['copy_last_mse']:.2f}); `cnn_lstm_video` names digit and motion of "
                f"**{100 * m['classifier_accuracy_generated']:.2f} %** of generated continuations "
                f"({100 * m['classifier_accuracy_true']:.2f} % of true ones)")

    def measure(self, model, config, data):
        examples = []
        metrics = forecast_metrics(model, data.test, config.observed_frames, config.predicted_frames, keep=examples)
        return Results(metrics, artefacts={"examples": examples})

    def evaluate(self, model, settings):
        test, _ = held_out_clips(settings, settings.test_dataset or settings.dataset, model.observed_frames,
                                 settings.max_examples, train_clips=1, test_clips=settings.max_examples or 5_000)
        return forecast_metrics(model, batched(test, 64, cache=False), model.observed_frames, settings.predicted_frames)

    def pictures(self, model, config, data, results, output):
        """Observed frames and their true continuation, above the same observed frames and the
        generated continuation, for a few test clips."""
        given, truth, predicted = results.artefacts["examples"]
        rows, titles = [], []
        for i in range(min(3, len(given))):
            rows += [np.concatenate([given[i], truth[i]]), np.concatenate([given[i], predicted[i]])]
            titles += [f"clip {i + 1}: true", f"clip {i + 1}: generated"]
        plots.save_clip_strip(np.stack(rows), titles, output / "predictions.png", max_frames=len(rows[0]))
        return {"predictions": "predictions.png"}

    def notes(self, metrics, dataset):
        notes = [f"test clips: the first {dataset['observed_frames']} frames of each of {dataset['test_examples']} "
                 f"{dataset['test_dataset']} test clips are given, the next {dataset['predicted_frames']} generated",
                 "test_mse: squared error summed over a frame's pixels in [0, 1], averaged over generated frames and "
                 "clips (the Moving MNIST papers' per-frame MSE); test_bce: binary cross-entropy in nats, summed over "
                 "a frame's pixels; test_ssim: mean SSIM of generated frames; copy_last_*: the same measures of the "
                 "last given frame repeated"]
        if "classifier_accuracy_generated" in metrics:
            notes.append("classifier_accuracy_*: the shipped cnn_lstm_video's accuracy (digit × motion) on the "
                         "generated frames alone, on the true continuation and on the last given frame repeated")
        return notes


def held_out_clips(settings, dataset, observed, max_examples, *, train_clips, test_clips):
    """The test clips of `dataset` and its info: the generated dataset's own (`settings.clip_frames`
    long, from the generated dataset of `train_clips` and `test_clips` clips), or observed +
    predicted frames of another dataset's."""
    dataset = dataset.partition("/")[0]
    frames = settings.clip_frames if dataset == GENERATED else observed + settings.predicted_frames
    return video.frame_sequences(dataset, clip_frames=frames, split="test", data_dir=settings.data_dir,
                                 generated_data_dir=settings.generated_data_dir, digits=settings.digits,
                                 train_clips=train_clips, test_clips=test_clips, max_examples=max_examples)


def forecast_metrics(model, test, observed, predicted, keep=None):
    """The generated frames' per-frame MSE, binary cross-entropy and SSIM, each beside the
    copy-last-frame baseline's, and by generated step (`test_mse_by_step`); for labelled clips
    (one-digit moving_mnist_motion), the shipped cnn_lstm_video's accuracy on the generated frames
    alone beside its accuracy on the true continuation. `keep` (a list) gets (given, true,
    generated) uint8 frames of the first batch, for the pictures."""
    import zoo  # the semantic judge is a registered model: loaded when measuring

    rollout = tf.function(model.rollout, reduce_retracing=True)
    totals, count, judge = {}, 0, None
    by_step = np.zeros(predicted)
    accuracy = {"generated": 0, "true": 0, "copy_last": 0}
    for clips, labels in test:
        clips = clips[:, :observed + predicted]
        if clips.shape[1] < observed + predicted:
            raise ValueError(f"test clips have {clips.shape[1]} frames; observed + predicted frames need "
                             f"{observed + predicted}.")
        given = clips[:, :observed]
        truth = tf.cast(clips[:, observed:], tf.float32) / 255.0
        generated = rollout(tf.cast(given, tf.float32) / 255.0, tf.constant(predicted))
        copy = tf.repeat(tf.cast(given[:, -1:], tf.float32) / 255.0, predicted, axis=1)
        for name, frames in (("", generated), ("copy_last_", copy)):
            for key, values in frame_errors(frames, truth).items():
                totals[name + key] = totals.get(name + key, 0.0) + float(tf.reduce_sum(tf.reduce_mean(values, 1)))
        by_step += tf.reduce_sum(frame_errors(generated, truth)["mse"], axis=0).numpy()
        count += int(clips.shape[0])
        if keep is not None and not keep:
            keep.extend(np.asarray(x) for x in (given, clips[:, observed:], to_uint8(generated)))
        if int(labels[0]) >= 0:  # labelled one-digit clips: the semantic check
            judge = judge or zoo.load("cnn_lstm_video", weights="pretrained")
            for name, frames in (("generated", to_uint8(generated)), ("true", clips[:, observed:]),
                                 ("copy_last", to_uint8(copy))):
                answers = np.argmax(judge.predict(frames, verbose=0), axis=-1)
                accuracy[name] += int(np.sum(answers == labels.numpy()))
    metrics = {f"test_{key}" if not key.startswith("copy_last_") else key: round(value / count, 4)
               for key, value in sorted(totals.items())}
    metrics["test_mse_by_step"] = {str(i + 1): round(float(v / count), 4) for i, v in enumerate(by_step)}
    metrics["mse_ratio_to_copy_last"] = round(metrics["test_mse"] / metrics["copy_last_mse"], 4)
    if judge is not None:
        metrics.update({f"classifier_accuracy_{name}": round(right / count, 6) for name, right in accuracy.items()})
    metrics.update(observed_frames=observed, predicted_frames=predicted, test_clips=count)
    return metrics


def frame_errors(frames, truth):
    """{"mse", "bce", "ssim"}: [batch, frames] per-frame measures of `frames` (probabilities in
    [0, 1]) against `truth` (in [0, 1]); MSE and cross-entropy are summed over a frame's pixels."""
    p = tf.clip_by_value(frames, 1e-7, 1 - 1e-7)  # Keras' epsilon: a copied frame's 0s and 1s
    bce = -(truth * tf.math.log(p) + (1 - truth) * tf.math.log(1 - p))
    return {"mse": tf.reduce_sum(tf.square(frames - truth), axis=(2, 3, 4)),
            "bce": tf.reduce_sum(bce, axis=(2, 3, 4)),
            "ssim": tf.image.ssim(frames, truth, max_val=1.0)}


def to_uint8(frames):
    return tf.cast(tf.round(frames * 255.0), tf.uint8)


RECIPE = ConvLSTMVideoRecipe()

if __name__ == "__main__":
    RECIPE.main()
