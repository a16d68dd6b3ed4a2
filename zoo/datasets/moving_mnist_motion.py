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
its label (the picture on the model's docs page and beside the shipped weights).

A config with `digits=2` makes unlabelled clips by Moving MNIST's own protocol instead, what a
next-frame predictor (`convlstm_video`) is measured on: two digits drawn at random from the
split's MNIST digits, each starting at a uniform position with a uniform direction and a speed
uniform in 2–5 pixels per frame, bouncing off the edges; where they overlap the brighter pixel
shows.
"""

import numpy as np
import tensorflow_datasets as tfds

FRAME_SIZE = 64
DIGIT_SIZE = 28
TRAVEL = FRAME_SIZE - DIGIT_SIZE  # the digit's top-left corner moves in [0, TRAVEL] on each axis
MOTIONS = ("left-right slow", "left-right fast", "up-down slow", "up-down fast")
SPEEDS = {"slow": 2, "fast": 5}  # pixels per frame
TWO_DIGIT_SPEEDS = (2.0, 5.0)  # the two-digit clips' speeds are uniform in this range (pixels per frame)
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


def make_two_digit_clip(digit_images, num_frames, rng):
    """One clip of Moving MNIST's own kind (Srivastava et al. 2015): uint8 [num_frames, 64, 64, 1]
    of two 28×28 digits, each starting at a uniform position with a velocity whose direction is
    uniform on the circle and whose speed is uniform in TWO_DIGIT_SPEEDS (pixels per frame),
    bouncing off the frame's edges; where the digits overlap the brighter pixel shows."""
    clip = np.zeros((num_frames, FRAME_SIZE, FRAME_SIZE, 1), np.uint8)
    for image in digit_images:
        image = image.reshape(DIGIT_SIZE, DIGIT_SIZE, 1)
        position = rng.uniform(0, TRAVEL, size=2)
        angle, speed = rng.uniform(0, 2 * np.pi), rng.uniform(*TWO_DIGIT_SPEEDS)
        velocity = speed * np.array([np.sin(angle), np.cos(angle)])
        for t in range(num_frames):
            r, c = np.round(position).astype(int)
            window = clip[t, r:r + DIGIT_SIZE, c:c + DIGIT_SIZE]
            np.maximum(window, image, out=window)
            position = position + velocity
            for axis in range(2):  # reflected at the edges, the velocity turned round
                if position[axis] < 0:
                    position[axis], velocity[axis] = -position[axis], -velocity[axis]
                elif position[axis] > TRAVEL:
                    position[axis], velocity[axis] = 2 * TRAVEL - position[axis], -velocity[axis]
    return clip


class MovingMnistMotionConfig(tfds.core.BuilderConfig):
    """Frames per clip, clips per split (the one-digit test split can be at most MNIST's 10,000:
    one clip per digit) and digits per clip: 1 (the labelled digit × motion clips) or 2 (Moving
    MNIST's own protocol, unlabelled: what a next-frame predictor is measured on)."""

    def __init__(self, *, num_frames=10, train_clips=30_000, test_clips=5_000, digits=1, name=None, **kwargs):
        prefix = "" if digits == 1 else "two_digits_"
        name = name or f"{prefix}frames_{num_frames}_train_{train_clips}_test_{test_clips}"
        super().__init__(name=name, description=f"{num_frames} frames per clip, {digits} digit(s)", **kwargs)
        if digits not in (1, 2):
            raise ValueError(f"moving_mnist_motion: digits must be 1 or 2, got {digits}.")
        most_test = 10_000 if digits == 1 else 1_000_000
        most_train = 60_000 if digits == 1 else 1_000_000
        if num_frames < 1 or not 0 < train_clips <= most_train or not 0 < test_clips <= most_test:
            raise ValueError(f"moving_mnist_motion: num_frames must be >= 1, train_clips in 1..{most_train} and "
                             f"test_clips in 1..{most_test}" + (" (one clip per MNIST digit)" if digits == 1 else "")
                             + f", got {num_frames}, {train_clips}, {test_clips}.")
        self.num_frames, self.train_clips, self.test_clips, self.digits = num_frames, train_clips, test_clips, digits


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
        video = tfds.features.Video((frames, FRAME_SIZE, FRAME_SIZE, 1), encoding_format="png")
        if self.builder_config.digits == 2:
            features = {"video": video, "digits": tfds.features.Tensor(shape=(2,), dtype=np.int64)}
        else:
            features = {"video": video, "label": tfds.features.ClassLabel(names=class_names()),
                        "digit": tfds.features.ClassLabel(num_classes=10),
                        "motion": tfds.features.ClassLabel(names=MOTIONS)}
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict(features),
            supervised_keys=("video", "label") if self.builder_config.digits == 1 else None,
            citation="Srivastava, Mansimov, Salakhutdinov. Unsupervised Learning of Video "
                     "Representations using LSTMs. ICML 2015 (Moving MNIST).",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download: the digits come from the prepared MNIST
        config = self.builder_config
        return {"train": self._generate_examples("train", config.train_clips),
                "test": self._generate_examples("test", config.test_clips)}

    def _generate_examples(self, split, count):
        if self.builder_config.digits == 2:
            yield from self._two_digit_examples(split, count)
            return
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

    def _two_digit_examples(self, split, count):
        """Clips of two digits drawn at random from the split's MNIST digits (train digits for
        train clips, test digits for test clips), each clip from its own seeded generator."""
        mnist = tfds.load("mnist", split=split, data_dir=self._mnist_data_dir, download=self._download_mnist,
                          as_supervised=True, batch_size=-1)
        images, digits = (np.asarray(a) for a in tfds.as_numpy(mnist))
        for index in range(count):
            rng = np.random.default_rng([_SPLIT_SEEDS[split], 2, index])
            chosen = rng.choice(len(images), size=2, replace=False)
            yield index, {"video": make_two_digit_clip(images[chosen], self.builder_config.num_frames, rng),
                          "digits": digits[chosen].astype(np.int64)}


def builder_config(num_frames, train_clips, test_clips, digits=1):
    """The config for these counts: a predefined config's name where one matches (TFDS refuses a
    custom config named like a predefined one), else a new config."""
    config = MovingMnistMotionConfig(num_frames=num_frames, train_clips=train_clips, test_clips=test_clips,
                                     digits=digits)
    return config.name if config.name in {c.name for c in MovingMnistMotion.BUILDER_CONFIGS} else config

