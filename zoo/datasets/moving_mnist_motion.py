"""`moving_mnist_motion`: clips of a real MNIST digit moving and bouncing in a 64×64 frame,
labelled by digit × motion, so that the label needs time to see.

    builder = MovingMnistMotion(data_dir="~/tensorflow_datasets", mnist_data_dir="../shared/tensorflow_datasets")
    builder.download_and_prepare()          # generates; nothing is downloaded but MNIST itself
    test = builder.as_dataset(split="test", as_supervised=True)   # (uint8 [frames, 64, 64, 1], label)

Made as Moving MNIST itself was (Srivastava et al., 2015): a 28×28 MNIST digit pasted into a
64×64 black frame and moved a fixed number of pixels per frame, reflected at the edges. Train
clips use MNIST train digits, test clips MNIST test digits, each digit once. Every random draw
comes from a generator seeded by (split, clip index), so a build gives the same clips anywhere.

The label combines what is seen (the digit, 10 classes) with how it moves (4 motions: left–right
or up–down, slow or fast), 40 classes. The motion is built so that one frame tells nothing
about it: the digit's position in every frame has the same distribution for all four motions
(a uniform point of the unfolded, doubled track, folded back into the frame — the distribution
that reflected constant-speed motion keeps), and the axis that does not move sits at a position
drawn from that same distribution. A classifier that sees one frame can therefore at best name
the digit and guess the motion: its accuracy ceiling is **25 %** (a quarter of its digit
accuracy). Two frames are enough in principle; the slow/fast distinction needs the spacing.

The `cnn_lstm_video` recipe draws the first test clip of each motion as a strip of frames with
its label (the picture in the README and beside the shipped weights).
"""

import numpy as np
import tensorflow_datasets as tfds

FRAME_SIZE = 64
DIGIT_SIZE = 28
TRAVEL = FRAME_SIZE - DIGIT_SIZE  # the digit's top-left corner moves in [0, TRAVEL] on each axis
MOTIONS = ("left-right slow", "left-right fast", "up-down slow", "up-down fast")
SPEEDS = {"slow": 2, "fast": 5}  # pixels per frame
SINGLE_FRAME_CEILING = 1 / len(MOTIONS)
MIN_FRAMES_FOR_MOTION = 2  # two frames show the motion (but for a bounce at the turning point)
_SPLIT_SEEDS = {"train": 1, "test": 2}


def class_names():
    return [f"{digit} {motion}" for digit in range(10) for motion in MOTIONS]


def fold(unfolded):
    """Position on the doubled track [0, 2·TRAVEL) → position in the frame, reflected at the edges."""
    unfolded = np.mod(unfolded, 2 * TRAVEL)
    return np.where(unfolded <= TRAVEL, unfolded, 2 * TRAVEL - unfolded)


def make_clip(digit_image, motion, num_frames, rng):
    """One clip: uint8 [num_frames, 64, 64, 1] of `digit_image` (28×28) moving as `motion` says."""
    axis_name, speed_name = MOTIONS[motion].split()
    start, fixed = rng.integers(0, 2 * TRAVEL, size=2)
    moving = fold(start + SPEEDS[speed_name] * np.arange(num_frames))
    rows, cols = (np.full(num_frames, fold(fixed)), moving) if axis_name == "left-right" else (moving, np.full(num_frames, fold(fixed)))
    clip = np.zeros((num_frames, FRAME_SIZE, FRAME_SIZE, 1), np.uint8)
    for t, (r, c) in enumerate(zip(rows, cols)):
        clip[t, r:r + DIGIT_SIZE, c:c + DIGIT_SIZE] = digit_image.reshape(DIGIT_SIZE, DIGIT_SIZE, 1)
    return clip


class MovingMnistMotionConfig(tfds.core.BuilderConfig):
    """Frames per clip and clips per split (the test split can be at most MNIST's 10,000)."""

    def __init__(self, *, num_frames=10, train_clips=30_000, test_clips=5_000, name=None, **kwargs):
        name = name or f"frames_{num_frames}_train_{train_clips}_test_{test_clips}"
        super().__init__(name=name, description=f"{num_frames} frames per clip", **kwargs)
        if num_frames < 1 or not 0 < train_clips <= 60_000 or not 0 < test_clips <= 10_000:
            raise ValueError(f"moving_mnist_motion: num_frames must be >= 1, train_clips in 1..60000 and "
                             f"test_clips in 1..10000 (one clip per MNIST digit), got {num_frames}, "
                             f"{train_clips}, {test_clips}.")
        self.num_frames, self.train_clips, self.test_clips = num_frames, train_clips, test_clips


class MovingMnistMotion(tfds.core.GeneratorBasedBuilder):
    __doc__ = __doc__
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version: one digit, 4 motions, 40 classes."}
    BUILDER_CONFIGS = [MovingMnistMotionConfig()]

    def __init__(self, *, mnist_data_dir=None, download_mnist=True, **kwargs):
        """`mnist_data_dir`: where the prepared MNIST is read from (default: TFDS's data folder)."""
        self._mnist_data_dir = mnist_data_dir
        self._download_mnist = download_mnist
        super().__init__(**kwargs)

    def _info(self):
        frames = self.builder_config.num_frames
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "video": tfds.features.Video((frames, FRAME_SIZE, FRAME_SIZE, 1), encoding_format="png"),
                "label": tfds.features.ClassLabel(names=class_names()),
                "digit": tfds.features.ClassLabel(num_classes=10),
                "motion": tfds.features.ClassLabel(names=MOTIONS),
            }),
            supervised_keys=("video", "label"),
            citation="Srivastava, Mansimov, Salakhutdinov. Unsupervised Learning of Video "
                     "Representations using LSTMs. ICML 2015 (Moving MNIST).",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download: the digits come from the prepared MNIST
        config = self.builder_config
        return {"train": self._generate_examples("train", config.train_clips),
                "test": self._generate_examples("test", config.test_clips)}

    def _generate_examples(self, split, count):
        mnist = tfds.load("mnist", split=f"{split}[:{count}]", data_dir=self._mnist_data_dir,
                          download=self._download_mnist, as_supervised=True, batch_size=-1)
        images, digits = (np.asarray(a) for a in tfds.as_numpy(mnist))
        for index, (image, digit) in enumerate(zip(images, digits)):
            rng = np.random.default_rng([_SPLIT_SEEDS[split], index])
            motion = int(rng.integers(len(MOTIONS)))
            yield index, {
                "video": make_clip(image, motion, self.builder_config.num_frames, rng),
                "label": int(digit) * len(MOTIONS) + motion,
                "digit": int(digit),
                "motion": motion,
            }


def builder_config(num_frames, train_clips, test_clips):
    """The config for these counts: a predefined config's name where one matches (TFDS refuses a
    custom config named like a predefined one), else a new config."""
    config = MovingMnistMotionConfig(num_frames=num_frames, train_clips=train_clips, test_clips=test_clips)
    return config.name if config.name in {c.name for c in MovingMnistMotion.BUILDER_CONFIGS} else config
