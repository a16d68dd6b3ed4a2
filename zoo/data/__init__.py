"""The data layer: datasets by TFDS name (with errors that say where the data was looked for and
how to get it), the one `Splits` type every recipe's data comes in, and the batching pipelines.

Per kind of data: `zoo.data.images`, `zoo.data.video`, `zoo.data.text`, `zoo.data.music`.

The data folder is, in order: the `data_dir` argument (a recipe's `--data-dir`), the
`TFDS_DATA_DIR` environment variable, and TFDS's own default (`~/tensorflow_datasets`).
On a machine with internet access a missing dataset is downloaded and prepared by TFDS.
"""

import dataclasses
import os
import socket
import sys
import typing

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
    offline = _unreachable(DOWNLOAD_HOST)
    if offline:
        raise DataError(f"Dataset {name!r} is not prepared in {folder}, and this machine cannot download it "
                        f"({offline}). {how}")
    # Never a silent wait: a download can take minutes.
    print(f"Dataset {name!r} is not prepared in {folder}: downloading and preparing it with TFDS (once; "
          "--no-download fails at once instead) ...", file=sys.stderr, flush=True)
    try:
        builder.download_and_prepare()
    except Exception as e:  # noqa: BLE001  any network or extraction failure reads the same to a user
        raise DataError(
            f"Dataset {name!r} is not prepared in {folder} and downloading it failed "
            f"({type(e).__name__}: {_first_line(e)}). {how}"
        ) from e
    return builder


@dataclasses.dataclass
class Splits:
    """A recipe's data: `train` as `Batches` (shuffled, resumable), `validation` (None when no
    examples are held out) and `test` as batched `tf.data.Dataset`s, and `info`, the dataset's
    description that goes into the model card (name, version, split sizes, shapes, classes).
    `tokenizer`: the text models' `zoo.data.text.Tokenizer`; `sources`: what the splits were
    made from where a recipe derives other data from it (`video.clip_datasets`' clips, from
    which a single-frame baseline takes its frames)."""

    train: "Batches"
    validation: typing.Optional[tf.data.Dataset]
    test: tf.data.Dataset
    info: dict
    tokenizer: typing.Any = None
    sources: typing.Any = None


class Batches:
    """Training batches that a killed and restarted run can take up at any epoch: `dataset` is
    the pipeline for one pass, and `epochs(first, last)` the passes `first` … `last` − 1 as one
    dataset, each in the order an uninterrupted run would have seen it (see `resumable_epochs`).
    `zoo.training.fit` uses the latter."""

    def __init__(self, dataset, one_pass, options):
        self.dataset = dataset
        self._one_pass, self._options = one_pass, options

    @property
    def steps(self):
        """Batches per epoch (-1 where unknown, as `tf.data` counts)."""
        return int(self._one_pass.cardinality())

    def epochs(self, first, last):
        """(dataset of epochs `first` … `last` − 1, batches per epoch), or None where the count
        is unknown (then `fit` reads `dataset` once per epoch)."""
        return resumable_epochs(self._one_pass, first, last, self._options)


def batched(ds, batch_size, *, cache=True):
    """An evaluation pipeline: cache (in memory, unless `cache` is False: for large examples
    such as video clips) → batch → prefetch, in the dataset's order."""
    ds = ds.cache() if cache else ds
    return ds.batch(batch_size).prefetch(AUTOTUNE).with_options(_sharded_by_data())


def shuffled_batches(ds, batch_size, *, seed, cache=True, shuffle_buffer=None, batch_map=None):
    """The training pipeline: cache → shuffle (seeded, reshuffled every epoch) → batch →
    prefetch, as `Batches`. `cache`: True keeps the examples in memory, a file name caches them
    on disk (for data larger than memory should hold), False decodes them on every pass. The
    shuffle buffer holds the whole dataset (up to 100,000 examples) unless `shuffle_buffer`
    caps it: a buffer is a second copy of what it holds, too much for large examples such as
    video clips. `batch_map(index, batch)`, if given, changes each batch; `index` counts the
    batches of an epoch from 0, so a draw seeded by it is the same in a resumed run."""
    size = int(ds.cardinality())
    buffer = size if 0 < size <= 100_000 else 10_000
    buffer = min(buffer, shuffle_buffer) if shuffle_buffer else buffer
    fixed = all(spec.shape.is_fully_defined() for spec in tf.nest.flatten(ds.element_spec))
    if cache is True and buffer == size and fixed:
        batches = _gathered_batches(ds, size, batch_size, seed)
    else:
        if cache:
            ds = ds.cache(cache if isinstance(cache, str) else "")
        batches = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if batch_map is not None:
        batches = batches.enumerate().map(batch_map, num_parallel_calls=AUTOTUNE, deterministic=True)
    options = _sharded_by_data()
    return Batches(batches.prefetch(AUTOTUNE).with_options(options), batches, options)


def _sharded_by_data():
    # Under a multi-worker strategy each worker reads the same seeded pipeline and keeps its
    # share of every global batch (DATA sharding): the batches a one-device run would see.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return options


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


# Where TFDS downloads most datasets from (its mirror of them on Google Cloud Storage).
DOWNLOAD_HOST = ("storage.googleapis.com", 443)


def _unreachable(host, timeout=5.0):
    """Why `host` cannot be reached ("no network: ..."), or "" when it can or when a proxy is
    set (the proxy may reach what we cannot): a check of seconds, where an offline TFDS download
    retries for minutes before it fails."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return ""
    try:
        socket.create_connection(host, timeout=timeout).close()
    except OSError as e:
        return f"no connection to {host[0]}: {e.strerror or type(e).__name__}"
    return ""


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
