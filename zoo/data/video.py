"""Video clips with labels: the zoo's generated `moving_mnist_motion` (made from the MNIST of the
TFDS data folder on first use) or any TFDS video dataset with `video` and `label` features
(e.g. `ucf101`), as uint8 clips of a fixed number of frames and frame size."""

import atexit
import os
import shutil
import tempfile

import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.data import AUTOTUNE, Splits, batched, folders, load_builder, resolve_data_dir, shuffled_batches
from zoo.datasets import moving_mnist_motion as mmm
from zoo.errors import DataError

GENERATED = "moving_mnist_motion"
CACHES = ("disk", "memory", "none")


def generated_builder(*, num_frames, train_clips, test_clips, data_dir=None, generated_data_dir=None,
                      download=True, digits=1):
    """The moving_mnist_motion builder for these counts (and digits per clip), generated on first
    use into `generated_data_dir` (default ~/tensorflow_datasets: never the folder MNIST is read
    from, which may be a read-only shared copy)."""
    builder = mmm.MovingMnistMotion(
        config=mmm.builder_config(num_frames, train_clips, test_clips, digits),
        data_dir=os.path.expanduser(generated_data_dir or os.path.join("~", "tensorflow_datasets")),
        mnist_data_dir=resolve_data_dir(data_dir), download_mnist=download)
    if not builder.is_prepared():
        # MNIST first, with the data layer's message (where it looked, what to do) if it is missing.
        load_builder("mnist", data_dir, download=download)
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


def clip_datasets(dataset, *, clip_frames, frame_size, data_dir=None, download=True, generated_data_dir=None,
                  train_clips=30_000, test_clips=5_000, validation_examples=0, max_train_examples=0,
                  max_test_examples=0):
    """{"train", "validation" (None when none are held out), "test": unbatched datasets of
    (uint8 clip [clip_frames, frame_size, frame_size, channels], label), "info": the card's
    dataset description}. The generated dataset's clips have `clip_frames` frames; from any
    other dataset's clips `clip_frames` frames are taken evenly spaced; so they are from the
    videos of a folder of your own (`dataset` its absolute path: `zoo.data.folders`)."""
    if folders.is_folder(dataset):
        return folders.folder_clip_datasets(dataset, clip_frames=clip_frames, frame_size=frame_size,
                                            model_name="cnn_lstm_video", validation_examples=validation_examples,
                                            max_train_examples=max_train_examples, max_test_examples=max_test_examples)
    if dataset == GENERATED:
        builder = generated_builder(num_frames=clip_frames, train_clips=train_clips, test_clips=test_clips,
                                    data_dir=data_dir, generated_data_dir=generated_data_dir, download=download)
    else:
        builder = load_builder(dataset, data_dir, download=download, check=lambda info: _check_video(info, dataset))
    video = builder.info.features["video"]
    channels = int(video.shape[-1])
    size, frames = frame_size, clip_frames

    def clip(example):
        v = example["video"]
        length = tf.shape(v)[0]
        index = tf.cast(tf.round(tf.linspace(0.0, tf.cast(length - 1, tf.float32), frames)), tf.int32)
        v = tf.gather(v, index)
        if tuple(video.shape[1:3]) != (size, size):
            v = tf.cast(tf.clip_by_value(tf.round(tf.image.resize(v, (size, size))), 0, 255), tf.uint8)
        return tf.ensure_shape(v, (frames, size, size, channels)), example["label"]

    train_total = builder.info.splits["train"].num_examples if builder.info.splits else 0
    n_train = max(train_total - validation_examples, 0) if train_total else None
    if max_train_examples:
        n_train = min(n_train, max_train_examples) if n_train is not None else max_train_examples

    def split(spec):
        # No TFDS auto-cache: it would keep every decoded clip of a split in memory on top of
        # the training pipeline's own (--cache) cache of the training clips.
        return builder.as_dataset(split=spec, shuffle_files=False,
                                  read_config=tfds.ReadConfig(try_autocache=False)).map(clip, num_parallel_calls=AUTOTUNE)

    validation = split(f"train[-{validation_examples}:]") if validation_examples and train_total else None
    test = split(f"test[:{max_test_examples}]" if max_test_examples else "test")
    test_examples = int(test.cardinality()) if int(test.cardinality()) >= 0 else None
    info = {
        "name": builder.info.full_name.rsplit("/", 1)[0],  # name/config, without the version
        "version": str(builder.info.version),
        "train_examples": n_train, "validation_examples": validation_examples if validation is not None else 0,
        "test_examples": test_examples, "frame_shape": [size, size, channels], "clip_frames": frames,
        "class_names": list(builder.info.features["label"].names),
    }
    return {"train": split(f"train[:{n_train}]" if n_train is not None else "train"), "validation": validation,
            "test": test, "info": info}


PUBLISHED_MOVING_MNIST = "moving_mnist"  # TFDS: the 10,000 test sequences of Srivastava et al. (2015)


def frame_sequences(dataset, *, clip_frames, split, data_dir=None, download=True, generated_data_dir=None,
                    digits=1, train_clips=30_000, test_clips=5_000, max_examples=0):
    """(unbatched (uint8 clip [clip_frames, h, w, c], label) pairs of one split, the card's
    description of them) for a next-frame predictor: moving_mnist_motion (generated, with
    `digits` digits per clip; one-digit clips keep their digit × motion label, two-digit clips
    have label −1), TFDS's moving_mnist, whose only split is the published test set of
    20-frame sequences, or any TFDS dataset with a `video` (or `image_sequence`) feature of a
    fixed frame size. The first `clip_frames` frames of each clip are used; clips shorter than
    that are left out. Labels are −1 where the dataset has none."""
    if dataset == GENERATED:
        builder = generated_builder(num_frames=clip_frames, train_clips=train_clips, test_clips=test_clips,
                                    data_dir=data_dir, generated_data_dir=generated_data_dir, download=download,
                                    digits=digits)
    elif dataset == PUBLISHED_MOVING_MNIST and split != "test":
        raise DataError("TFDS's moving_mnist has only a test split (the published 10,000 sequences): train on "
                        "moving_mnist_motion and measure on moving_mnist (--test-dataset moving_mnist).")
    else:
        builder = load_builder(dataset, data_dir, download=download,
                               check=lambda info: _check_sequences(info, dataset, split, clip_frames))
    key = _sequence_key(builder.info)
    shape = [int(d) for d in builder.info.features[key].shape[1:]]
    spec = f"{split}[:{max_examples}]" if max_examples else split
    clips = builder.as_dataset(split=spec, shuffle_files=False, read_config=tfds.ReadConfig(try_autocache=False))

    def pair(example):
        label = tf.cast(example["label"], tf.int64) if "label" in example else tf.constant(-1, tf.int64)
        return tf.ensure_shape(example[key][:clip_frames], (clip_frames, *shape)), label

    if builder.info.features[key].shape[0] is None:
        clips = clips.filter(lambda example: tf.shape(example[key])[0] >= clip_frames)
    clips = clips.map(pair, num_parallel_calls=AUTOTUNE)
    count = int(clips.cardinality())
    info = {"name": builder.info.full_name.rsplit("/", 1)[0], "version": str(builder.info.version),
            f"{split}_examples": count if count >= 0 else None, "frame_shape": shape, "clip_frames": clip_frames}
    return clips, info


def _sequence_key(info):
    return next((k for k in ("video", "image_sequence") if k in info.features), None)


def _check_sequences(info, dataset, split, clip_frames):
    """Refuse, before any download, a dataset a next-frame predictor cannot read."""
    key = _sequence_key(info)
    if key is None:
        raise DataError(f"TFDS dataset {dataset!r} has no `video` or `image_sequence` feature (it has "
                        f"{', '.join(info.features)}): a next-frame predictor needs clips of frames.")
    shape = info.features[key].shape
    if len(shape) != 4 or None in shape[1:]:
        raise DataError(f"{dataset!r}'s {key} has shape {shape}; a next-frame predictor needs frames of one fixed "
                        "size [frames, height, width, channels].")
    if shape[0] is not None and shape[0] < clip_frames:
        raise DataError(f"{dataset!r}'s clips have {shape[0]} frames; asked for {clip_frames} "
                        "(lower --clip-frames, or the observed and predicted frames).")
    if info.splits and split not in info.splits:
        raise DataError(f"TFDS dataset {dataset!r} has no {split!r} split (it has {', '.join(info.splits)}).")


def clip_splits(clips, *, batch_size, seed, cache="disk", eval_batch_size=64, windows=None):
    """`Splits` of `clip_datasets`' clips. Memory: only the training clips are cached, as uint8
    (4.6 GB for 28,000 clips of 40 frames), on disk by default (`cache`: disk, memory or none):
    held in memory the cache costs about twice that in resident memory. TFDS wrote the clips
    in shuffled order, so a 1,024-clip shuffle buffer mixes enough without a second copy of
    the split. Validation and test clips are decoded when read.

    `windows=(shortest, longest)`: each training batch is cut to windows of one length drawn
    from that range (inclusive), each clip's window starting where a draw puts it (see
    `random_windows`), so training sees every clip length and every phase of the motion."""
    validation = clips["validation"]
    cut = random_windows(*windows, seed=seed) if windows else None
    return Splits(
        train=shuffled_batches(clips["train"], batch_size, seed=seed, shuffle_buffer=1024,
                               cache=train_cache(cache), batch_map=cut),
        validation=batched(validation, eval_batch_size, cache=False) if validation is not None else None,
        test=batched(clips["test"], eval_batch_size, cache=False),
        info=clips["info"], sources=clips)


def random_windows(shortest, longest, *, seed):
    """A `batch_map` for `shuffled_batches`: (batch index, (clips [batch, frames, ...], labels) or
    clips alone) → the same clips cut to a window of L frames, L uniform in [shortest, longest]
    (at most the clips' frames) per batch and the window's start uniform per clip, drawn from
    (seed, batch index): the same windows in a rerun and in a resumed run. With shortest ==
    longest the window's length is part of the batch's static shape."""
    if not 1 <= shortest <= longest:
        raise ValueError(f"windows must satisfy 1 <= shortest <= longest, got {shortest}, {longest}.")

    def cut(index, batch):
        labelled = isinstance(batch, (tuple, list))
        videos = batch[0] if labelled else batch
        frames, rows = tf.shape(videos, out_type=tf.int64)[1], tf.shape(videos, out_type=tf.int64)[0]
        key = tf.stack([tf.constant(seed, tf.int64), index])
        length = tf.random.stateless_uniform((), key, tf.minimum(tf.constant(shortest, tf.int64), frames),
                                             tf.minimum(tf.constant(longest, tf.int64), frames) + 1, dtype=tf.int64)
        starts = tf.random.stateless_uniform(tf.reshape(rows, [1]), key + [0, 1 << 40], 0, frames - length + 1,
                                             dtype=tf.int64)
        steps = starts[:, None] + tf.range(length)[None, :]
        windows = tf.gather(videos, steps, batch_dims=1)
        if shortest == longest:  # a fixed window: its length is static (checked when run)
            windows = tf.ensure_shape(windows, [None, shortest, *videos.shape[2:]])
        return (windows, *batch[1:]) if labelled else windows

    return cut


def single_frame(clips, seed):
    """The same clips with one frame each (a single-frame baseline's data): in training frame t,
    t drawn per clip from (seed, clip index) so the baseline sees as many different frames as
    it can, and the same ones on a rerun; elsewhere the middle frame."""
    def pick(index, example):
        v, y = example
        key = tf.stack([tf.constant(seed, tf.int64), index])
        t = tf.random.stateless_uniform((), key, 0, tf.shape(v)[0], dtype=tf.int32)
        return v[t][None], y

    def middle(ds):
        return None if ds is None else ds.map(lambda v, y: (v[tf.shape(v)[0] // 2][None], y))

    return {**clips, "train": clips["train"].enumerate().map(pick), "validation": middle(clips["validation"]),
            "test": middle(clips["test"])}


def train_cache(kind):
    """`shuffled_batches`' `cache` for a --cache kind: on disk, a file in a fresh temporary
    folder that is removed when the process exits (a fresh folder per run: a killed run's
    leftovers never collide with the next one's)."""
    if kind not in CACHES:
        raise ValueError(f"cache must be one of {', '.join(CACHES)}, got {kind!r}.")
    if kind != "disk":
        return kind == "memory"
    folder = tempfile.mkdtemp(prefix="zoo-video-cache-")
    atexit.register(shutil.rmtree, folder, True)
    return os.path.join(folder, "train")


def _check_video(info, name):
    features = info.features
    if "video" not in features or "label" not in features or not hasattr(features["label"], "num_classes"):
        raise DataError(f"Dataset {name!r} has features {sorted(features)}; a video model needs a video dataset "
                        "with 'video' (frames) and 'label' (a ClassLabel), e.g. moving_mnist_motion or ucf101.")
