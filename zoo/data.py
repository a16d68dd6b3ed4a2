"""Datasets by TFDS name, with errors that say where the data was looked for and how to get it.

The data folder is, in order: the `data_dir` argument (a recipe's `--data-dir`), the
`TFDS_DATA_DIR` environment variable, and TFDS's own default (`~/tensorflow_datasets`).
On a machine with internet access a missing dataset is downloaded and prepared by TFDS.
"""

import os

import tensorflow as tf
import tensorflow_datasets as tfds

import dataclasses

from zoo.errors import ConfigError, DataError, did_you_mean

AUTOTUNE = tf.data.AUTOTUNE


def resolve_data_dir(data_dir=None):
    """The folder TFDS will read: the argument, else $TFDS_DATA_DIR, else TFDS's default."""
    return os.path.expanduser(
        data_dir or os.environ.get("TFDS_DATA_DIR") or tfds.core.constants.DATA_DIR
    )


def load_builder(name, data_dir=None, download=True, check=None):
    """A prepared TFDS builder for `name` (e.g. 'mnist' or 'mnist:3.0.1').

    `check(builder.info)` runs before anything is downloaded, so a dataset of the wrong kind
    is refused at once. With `download=False` a dataset that is not prepared is an error
    straight away (TFDS would otherwise retry the network for minutes on an offline machine).
    """
    folder = resolve_data_dir(data_dir)
    try:
        builder = tfds.builder(name, data_dir=folder)
    except tfds.core.registered.DatasetNotFoundError:
        raise DataError(
            f"Unknown TFDS dataset {name!r}. {did_you_mean(name, tfds.list_builders())}"
            "See https://www.tensorflow.org/datasets/catalog for the names."
        ) from None
    except (ValueError, AssertionError) as e:  # e.g. a version that TFDS does not know
        raise DataError(f"Cannot open TFDS dataset {name!r}: {_first_line(e)}") from None
    if check is not None:
        check(builder.info)
    if builder.is_prepared():
        return builder
    how = (
        f"Point --data-dir or TFDS_DATA_DIR at a folder holding {builder.info.name}/"
        f"{builder.info.version}/, or, on a machine with internet access, run "
        f"`tfds build {builder.info.name} --data_dir {folder}` and copy that folder here."
    )
    if not download:
        raise DataError(f"Dataset {name!r} is not prepared in {folder} (and downloads are off). {how}")
    try:
        builder.download_and_prepare()
    except Exception as e:  # noqa: BLE001  any network or extraction failure reads the same to a user
        raise DataError(
            f"Dataset {name!r} is not prepared in {folder} and downloading it failed "
            f"({type(e).__name__}: {_first_line(e)}). {how}"
        ) from e
    return builder


@dataclasses.dataclass
class ImageSplits:
    train: object  # tf.data.Dataset of (uint8 image, int label): unbatched here, batched by recipes
    validation: object  # None when no examples are held out
    test: object
    info: dict  # dataset name, version, split sizes, image shape, class names


def image_classification_splits(name, image_shape, *, model_name, data_dir=None, download=True,
                                validation_examples=0, max_train_examples=0, max_test_examples=0):
    """Train / validation / test splits of a TFDS image dataset with labels, after checking
    (before any download) that its images have `image_shape`. The validation examples are the
    last ones of the train split; the `max_*` limits take the first examples."""
    builder = load_builder(name, data_dir, download=download,
                           check=lambda info: _check_images(info, name, image_shape, model_name))
    for split in ("train", "test"):
        if split not in builder.info.splits:
            raise DataError(f"Dataset {name!r} has no {split!r} split (it has {sorted(builder.info.splits)}).")
    n_train_split = builder.info.splits["train"].num_examples
    if validation_examples >= n_train_split:
        raise ConfigError(f"--validation-examples {validation_examples} leaves no training data "
                          f"({n_train_split} in the train split).")
    n_train = n_train_split - validation_examples
    n_train = min(n_train, max_train_examples) if max_train_examples else n_train
    n_test = builder.info.splits["test"].num_examples
    n_test = min(n_test, max_test_examples) if max_test_examples else n_test

    def split(spec):
        return builder.as_dataset(split=spec, as_supervised=True, shuffle_files=False)

    return ImageSplits(
        train=split(f"train[:{n_train}]"),
        validation=split(f"train[{n_train_split - validation_examples}:]") if validation_examples else None,
        test=split(f"test[:{n_test}]"),
        info={
            "name": builder.info.name,
            "version": str(builder.info.version),
            "train_examples": n_train,
            "validation_examples": validation_examples,
            "test_examples": n_test,
            "image_shape": list(builder.info.features["image"].shape),
            "class_names": list(builder.info.features["label"].names),
        },
    )


def _check_images(info, name, image_shape, model_name):
    features = info.features
    image = features["image"] if "image" in features else None
    label = features["label"] if "label" in features else None
    if image is None or label is None or not hasattr(label, "num_classes"):
        raise DataError(
            f"Dataset {name!r} has features {sorted(features)}; {model_name} needs an "
            "image dataset with 'image' and 'label' (a ClassLabel)."
        )
    if tuple(image.shape) != tuple(image_shape):
        raise DataError(
            f"Dataset {name!r} has images of shape {tuple(image.shape)}; {model_name} reads "
            f"{image_shape[0]}×{image_shape[1]} images with {image_shape[2]} channel(s). Use a "
            "dataset of that shape (mnist, fashion_mnist, kmnist, emnist) or set image_shape."
        )


def batched(ds, batch_size, *, shuffle_seed=None, cache=True, shuffle_buffer=None):
    """cache → shuffle (seeded, reshuffled every epoch) → batch → prefetch. `cache`: True keeps
    the examples in memory, a file name caches them on disk (for data larger than memory should
    hold), False decodes them on every pass. The shuffle buffer holds the whole dataset (up to
    100,000 examples) unless `shuffle_buffer` caps it: a buffer is a second copy of what it
    holds, too much for large examples such as video clips.

    A shuffled dataset also has `.epochs(first, last)` (see `resumable_epochs`), which
    `training.fit` uses so that a resumed run sees each epoch in the order it would have."""
    size = int(ds.cardinality())
    buffer = size if 0 < size <= 100_000 else 10_000
    buffer = min(buffer, shuffle_buffer) if shuffle_buffer else buffer
    fixed = all(spec.shape.is_fully_defined() for spec in tf.nest.flatten(ds.element_spec))
    if cache is True and shuffle_seed is not None and buffer == size and fixed:
        batches = _gathered_batches(ds, size, batch_size, shuffle_seed)
    else:
        if cache:
            ds = ds.cache(cache if isinstance(cache, str) else "")
        if shuffle_seed is not None:
            ds = ds.shuffle(buffer, seed=shuffle_seed, reshuffle_each_iteration=True)
        batches = ds.batch(batch_size)
    # Under a multi-worker strategy each worker reads the same seeded pipeline and keeps its
    # share of every global batch (DATA sharding): the batches a one-device run would see.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    result = batches.prefetch(AUTOTUNE).with_options(options)
    if shuffle_seed is not None:
        result.epochs = lambda first, last: resumable_epochs(batches, first, last, options)
    return result


def _gathered_batches(ds, size, batch_size, shuffle_seed):
    """The batches of cache → shuffle(whole dataset) → batch, made cheaply: every example is
    decoded once into memory, and each batch is one gather of the rows a shuffled range of
    indices names. Shuffling indices with the same seed and buffer gives the same order as
    shuffling the examples, at a fraction of the cost: moving each example through a shuffle
    buffer and a batch op one by one took up to a fifth of the training throughput of a small
    model on 2 cores (the benchmark's real-vs-synthetic column)."""
    every = next(iter(ds.batch(size)))
    order = tf.data.Dataset.range(size).shuffle(size, seed=shuffle_seed, reshuffle_each_iteration=True)
    return order.batch(batch_size).map(lambda rows: tf.nest.map_structure(lambda t: tf.gather(t, rows), every),
                                       num_parallel_calls=AUTOTUNE, deterministic=True)


def resumable_epochs(batches, first, last, options=None):
    """Epochs `first` … `last` − 1 of iterating `batches` (a reshuffling dataset) once per
    epoch from epoch 0, as one dataset: the batches a run that never stopped would see from
    `first` on. Returns (dataset, batches per epoch), or None where the count is unknown.

    A reshuffling shuffle draws the order of its k-th pass from its seed and k, and a new
    process starts again at k = 0: a run resumed at epoch 5 would replay epoch 0's order. Here
    the epochs before `first` are started (one batch each, then dropped) so that their orders
    are drawn, and the epochs after them get the orders of an uninterrupted run."""
    steps = int(batches.cardinality())
    if steps <= 0:
        return None

    def epoch(index):
        skipped = index < first
        one, zero, every = (tf.constant(n, tf.int64) for n in (1, 0, -1))
        return batches.take(tf.where(skipped, one, every)).skip(tf.where(skipped, one, zero))

    ds = tf.data.Dataset.range(last).flat_map(epoch).prefetch(AUTOTUNE)
    return (ds.with_options(options) if options is not None else ds), steps


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
