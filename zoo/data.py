"""Datasets by TFDS name, with errors that say where the data was looked for and how to get it.

The data folder is, in order: the `data_dir` argument (a recipe's `--data-dir`), the
`TFDS_DATA_DIR` environment variable, and TFDS's own default (`~/tensorflow_datasets`).
On a machine with internet access a missing dataset is downloaded and prepared by TFDS.
"""

import os

import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.errors import DataError, did_you_mean

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
    except tfds.core.registered.DatasetNotFoundError as e:
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
    except Exception as e:  # any network or extraction failure reads the same to a user
        raise DataError(
            f"Dataset {name!r} is not prepared in {folder} and downloading it failed "
            f"({type(e).__name__}: {_first_line(e)}). {how}"
        ) from e
    return builder


def batched(ds, batch_size, *, shuffle_seed=None, cache=True):
    """cache → shuffle (seeded, reshuffled every epoch) → batch → prefetch."""
    if cache:
        ds = ds.cache()
    if shuffle_seed is not None:
        size = int(ds.cardinality())
        buffer = size if 0 < size <= 100_000 else 10_000
        ds = ds.shuffle(buffer, seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(AUTOTUNE)


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
