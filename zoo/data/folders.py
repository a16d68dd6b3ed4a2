"""Your own files instead of a TFDS dataset: a folder of images (`--images DIR`) or of videos
(`--videos DIR`), one sub-folder per class, in the same (uint8 example, label) splits the TFDS
loaders give.

Images are listed, labelled, decoded and resized by `keras.utils.image_dataset_from_directory`
(PNG, JPEG, GIF, BMP); videos (GIF, MP4 and whatever else FFmpeg reads) are decoded by PyAV,
which brings its own FFmpeg libraries (`pip install "lstm-gan-zoo[video]"`). A folder has no test split:
`TEST_FRACTION` of its files, drawn with a fixed seed, are held out as one, so the same files
are the test set of every run and of `zoo evaluate`; unless a number is given,
`VALIDATION_FRACTION` of the rest are held out for validation, so a small folder trains with
the defaults. Files that cannot be decoded are skipped,
and the count and the first few names are printed and go into the model card; a folder with
none left, with no files, with one class where the model classifies, or with videos shorter
than the model needs is refused with a one-line error, before anything is written.
"""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo.errors import DataError

TEST_FRACTION = 0.2  # of a folder's files, held out as its test split
VALIDATION_FRACTION = 0.1  # of its training files, held out for validation where no number is given
MIN_FILES = 5  # the fewest that leave one for the test split
SPLIT_SEED = 1337  # the draw of those files: fixed, so `zoo evaluate` finds the same test set
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
VIDEO_SUFFIXES = (".gif", ".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


def is_folder(dataset):
    """True for a dataset named by a folder path (what `--images` / `--videos` set): TFDS names
    are never absolute paths."""
    return os.path.isabs(str(dataset))


def folder_image_splits(folder, image_shape, *, model_name, need_classes, validation_examples=0,
                        max_train_examples=0, max_test_examples=0):
    """{"train", "validation", "test": unbatched datasets of (uint8 image of `image_shape`,
    int64 label), "info": the card's description} of a folder of images. With sub-folders each
    is a class; a folder of images without sub-folders is one class (refused when
    `need_classes`: a classifier needs two or more). Images are decoded as RGB (every format
    Keras lists decodes so, GIF and BMP included) and made grey where `image_shape` has one
    channel. `validation_examples` None holds out `VALIDATION_FRACTION` of the training files.
    The decoded images are held in memory, in a fixed order: training reads them so
    anyway (`zoo.data.shuffled_batches`), and the train, validation and test splits are then
    fixed sets."""
    import keras

    folder = _existing_folder(folder, "--images")
    classes = _class_folders(folder, IMAGE_SUFFIXES)
    _check_classes(folder, classes, need_classes, model_name, "images", IMAGE_SUFFIXES)
    height, width, channels = image_shape
    if channels not in (1, 3):
        raise DataError(f"--channels must be 1 (grey) or 3 (RGB), got {channels}.")
    files = [f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
             and not any(part.startswith(".") for part in f.relative_to(folder).parts)]
    if len(files) < MIN_FILES:
        raise DataError(f"{folder} holds {len(files)} image(s): at least {MIN_FILES} are needed ({TEST_FRACTION:.0%} "
                        "of them are the test split).")
    try:
        train, test = keras.utils.image_dataset_from_directory(
            folder, labels="inferred" if classes != [""] else None, class_names=classes if classes != [""] else None,
            color_mode="rgb", batch_size=None, image_size=(height, width), shuffle=True, seed=SPLIT_SEED,
            validation_split=TEST_FRACTION, subset="both", verbose=False)
    except ValueError as e:  # Keras' own refusal of a folder: one line, as ours
        raise DataError(f"{folder}: {str(e).strip().splitlines()[0]}") from None
    bad = _undecodable_images(train.file_paths + test.file_paths)
    names = classes if classes != [""] else [folder.name]
    splits = {}
    for split, ds, paths in (("train", train, train.file_paths), ("test", test, test.file_paths)):
        if classes == [""]:
            ds = ds.map(lambda image: (image, tf.constant(0, tf.int64)))
        ds = ds.map(lambda image, label: (as_uint8(image, channels), tf.cast(label, tf.int64)))
        images, labels = _in_memory(ds.ignore_errors() if bad else ds, (height, width, channels))
        if not len(images):
            raise DataError(f"No readable images left for the {split} split of {folder} ({len(bad)} could not be "
                            f"decoded, e.g. {os.path.relpath(sorted(bad)[0], folder)}).")
        splits[split] = tf.data.Dataset.from_tensor_slices((images, labels))
    return _limited(splits, folder, names, image_shape, "image_shape", bad, validation_examples,
                    max_train_examples, max_test_examples)


def as_uint8(image, channels):
    image = tf.image.rgb_to_grayscale(image) if channels == 1 else image
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def _in_memory(ds, shape):
    """(uint8 images, int64 labels) of `ds`, read once in its order (Keras reshuffles its own
    dataset on every pass: read twice, a train split and a validation split taken from it
    would overlap)."""
    images, labels = [], []
    for image, label in ds.batch(1024).as_numpy_iterator():
        images.append(image)
        labels.append(label)
    if not images:
        return np.zeros((0, *shape), np.uint8), np.zeros((0,), np.int64)
    return np.concatenate(images), np.concatenate(labels)


def _limited(splits, folder, class_names, shape, shape_key, bad, validation_examples, max_train, max_test):
    n_train_all, n_test = int(splits["train"].cardinality()), int(splits["test"].cardinality())
    if validation_examples is None:  # not given: a share of the folder, however small it is
        validation_examples = int(VALIDATION_FRACTION * n_train_all)
    if validation_examples >= n_train_all:
        raise DataError(f"--validation-examples {validation_examples} leaves no training data: {folder} has "
                        f"{n_train_all} training files (and {n_test} held out for testing). Lower it.")
    n_train = n_train_all - validation_examples
    n_train = min(n_train, max_train) if max_train else n_train
    n_test = min(n_test, max_test) if max_test else n_test
    if bad:
        print(f"Skipped {len(bad)} file(s) of {folder} that could not be decoded, e.g. "
              + ", ".join(os.path.relpath(p, folder) for p in sorted(bad)[:3]))
    return {
        "train": splits["train"].take(n_train),
        "validation": splits["train"].skip(n_train_all - validation_examples) if validation_examples else None,
        "test": splits["test"].take(n_test),
        "info": {"name": str(folder), "version": "folder", "train_examples": n_train,
                 "validation_examples": validation_examples, "test_examples": n_test, shape_key: list(shape),
                 "class_names": list(class_names), "skipped_files": len(bad),
                 "test_split": f"{TEST_FRACTION:.0%} of the files, drawn with seed {SPLIT_SEED}"},
    }


def _existing_folder(folder, flag):
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"{flag} {folder}: no such folder.")
    return folder.resolve()


def _class_folders(folder, suffixes):
    """`folder`'s classes as Keras counts them: every non-hidden sub-folder (sorted), when any of
    them holds files with `suffixes`; else [""] when the folder holds such files itself; else []."""
    def has_files(path, recursive):
        pattern = path.rglob("*") if recursive else path.iterdir()
        return any(f.is_file() and f.suffix.lower() in suffixes for f in pattern)

    subfolders = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    if any(has_files(d, True) for d in subfolders):
        return [d.name for d in subfolders]
    return [""] if has_files(folder, False) else []


def _classes_with_files(folder, classes, suffixes):
    return [c for c in classes if c and any(f.is_file() and f.suffix.lower() in suffixes
                                            for f in (folder / c).rglob("*"))]


def _check_classes(folder, classes, need_classes, model_name, kind, suffixes):
    listed = ", ".join(suffixes)
    if not classes:
        raise DataError(f"{folder} holds no {kind} ({listed}), in it or in sub-folders: put them in one sub-folder "
                        "per class.")
    filled = _classes_with_files(folder, classes, suffixes)
    if need_classes and len(filled) < 2:
        found = f"one class ({filled[0]!r})" if filled else "no class sub-folders"
        raise DataError(f"{model_name} classifies, and {folder} has {found}: it needs one sub-folder of {kind} per "
                        "class, at least two.")


def _undecodable_images(paths):
    """The set of `paths` TensorFlow's image decoder refuses (corrupt, truncated, not an image),
    decoding as Keras does for RGB."""
    def decodes(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return path, tf.shape(image)[0]

    ds = tf.data.Dataset.from_tensor_slices(list(paths) or [""]).map(decodes, num_parallel_calls=tf.data.AUTOTUNE)
    good = {p.decode() for p, _ in ds.ignore_errors().as_numpy_iterator()}
    return set(paths) - good


def folder_clip_datasets(folder, *, clip_frames, frame_size, model_name, channels=1, validation_examples=0,
                         max_train_examples=0, max_test_examples=0):
    """{"train", "validation", "test": unbatched datasets of (uint8 clip [clip_frames,
    frame_size, frame_size, channels], int64 label), "info"} of a folder of videos, one
    sub-folder per class (two at least). Each video is decoded whole by PyAV, its frames
    resized, and `clip_frames` frames taken evenly spaced from start to end (as from a TFDS
    video); a video with fewer frames than that is refused."""
    folder = _existing_folder(folder, "--videos")
    classes = _class_folders(folder, VIDEO_SUFFIXES)
    _check_classes(folder, classes, True, model_name, "videos", VIDEO_SUFFIXES)
    files = [(path, label) for label, name in enumerate(classes)
             for path in sorted((folder / name).rglob("*")) if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES]
    _pyav()  # missing, it would read as every video corrupt
    clips, labels, bad, short = [], [], [], []
    for path, label in files:
        try:
            frames = read_video(path, frame_size, channels)
        except Exception:  # noqa: BLE001  any decoder failure: a corrupt or unreadable file
            bad.append(str(path))
            continue
        if len(frames) < clip_frames:
            short.append((str(path), len(frames)))
            continue
        index = np.round(np.linspace(0, len(frames) - 1, clip_frames)).astype(int)
        clips.append(frames[index])
        labels.append(label)
    if short:
        path, frames = min(short, key=lambda s: s[1])
        raise DataError(f"{len(short)} video(s) of {folder} have fewer frames than the {clip_frames} {model_name} "
                        f"reads per clip (the shortest: {os.path.relpath(path, folder)}, {frames} frames): lower "
                        "--clip-frames, or remove them.")
    if not clips:
        raise DataError(f"None of the {len(files)} videos of {folder} could be decoded (e.g. "
                        f"{os.path.relpath(bad[0], folder)}).")
    order = np.random.RandomState(SPLIT_SEED).permutation(len(clips))
    n_test = max(1, int(round(TEST_FRACTION * len(clips))))
    if n_test >= len(clips):
        raise DataError(f"{folder} has {len(clips)} readable video(s): too few to hold {TEST_FRACTION:.0%} out for "
                        "testing and train on the rest.")
    clips, labels = np.stack(clips)[order], np.asarray(labels, np.int64)[order]
    splits = {"train": tf.data.Dataset.from_tensor_slices((clips[n_test:], labels[n_test:])),
              "test": tf.data.Dataset.from_tensor_slices((clips[:n_test], labels[:n_test]))}
    result = _limited(splits, folder, classes, (frame_size, frame_size, channels), "frame_shape", set(bad),
                      validation_examples, max_train_examples, max_test_examples)
    result["info"]["clip_frames"] = clip_frames
    return result


def read_video(path, size, channels=1):
    """Every frame of the video at `path` as uint8 [frames, size, size, channels], decoded by
    PyAV (GIF, MP4, ...) and resized as it is decoded (so a long high-resolution video never
    sits in memory at full size)."""
    av = _pyav()
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(width=size, height=size, format="gray" if channels == 1 else "rgb24")
                  for frame in container.decode(video=0)]
    if not frames:
        raise ValueError(f"{path} has no frames")
    frames = np.stack(frames)
    return frames[..., None] if frames.ndim == 3 else frames


def _pyav():
    try:
        import av
    except ImportError:
        raise DataError('--videos needs PyAV to decode video files: pip install "lstm-gan-zoo[video]".') from None
    return av
