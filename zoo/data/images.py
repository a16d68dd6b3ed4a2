"""Image datasets with labels from TFDS, checked against the model's image shape before anything
is downloaded, and the binarisation the likelihood models (`vae`, `pixel_lstm`) are trained and measured on."""

import tensorflow as tf

from zoo.data import AUTOTUNE, Splits, batched, folders, load_builder, shuffled_batches
from zoo.errors import ConfigError, DataError


def image_classification_splits(name, image_shape, *, model_name, data_dir=None, download=True,
                                validation_examples=0, max_train_examples=0, max_test_examples=0,
                                need_classes=False):
    """{"train", "validation", "test": unbatched datasets of (uint8 image, label), "info": the
    card's dataset description} of a TFDS image dataset with labels, after checking (before any
    download) that its images have `image_shape`; or of a folder of your own images (`name` its
    absolute path: `zoo.data.folders`), resized to `image_shape` (at least two classes when
    `need_classes`). The validation examples are the last ones of the train split (None when
    there are none); the `max_*` limits take the first examples."""
    if folders.is_folder(name):
        return folders.folder_image_splits(name, image_shape, model_name=model_name, need_classes=need_classes,
                                           validation_examples=validation_examples,
                                           max_train_examples=max_train_examples, max_test_examples=max_test_examples)
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

    return {
        "train": split(f"train[:{n_train}]"),
        "validation": split(f"train[{n_train_split - validation_examples}:]") if validation_examples else None,
        "test": split(f"test[:{n_test}]"),
        "info": {
            "name": builder.info.name,
            "version": str(builder.info.version),
            "train_examples": n_train,
            "validation_examples": validation_examples,
            "test_examples": n_test,
            "image_shape": list(builder.info.features["image"].shape),
            "class_names": list(builder.info.features["label"].names),
        },
    }


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




def image_splits(name, image_shape, *, model_name, batch_size, seed, data_dir=None, download=True,
                 validation_examples=0, max_train_examples=0, max_test_examples=0, eval_batch_size=1000,
                 need_classes=False):
    """`Splits` of a TFDS image dataset: training images shuffled (seeded) in batches of
    `batch_size`, validation and test images in dataset order; (uint8 image, label) pairs."""
    splits = image_classification_splits(
        name, image_shape, model_name=model_name, data_dir=data_dir, download=download,
        validation_examples=validation_examples, max_train_examples=max_train_examples,
        max_test_examples=max_test_examples, need_classes=need_classes)
    return Splits(
        train=shuffled_batches(splits["train"], batch_size, seed=seed),
        validation=batched(splits["validation"], eval_batch_size) if splits["validation"] else None,
        test=batched(splits["test"], eval_batch_size),
        info=splits["info"],
    )


def binarized_once(ds, seed):
    """Each image binarised with its own stateless draw (seed, index): the same binary images
    whatever the batching, run or machine (how a likelihood model's test set is fixed)."""
    def binarize(index, example):
        image, label = example
        u = tf.random.stateless_uniform(tf.shape(image), seed=tf.stack([tf.cast(seed, tf.int64), index]))
        return tf.cast(u < tf.cast(image, tf.float32) / 255.0, tf.uint8) * 255, label

    return ds.enumerate().map(binarize, num_parallel_calls=AUTOTUNE)


def binarized_splits(dataset, model_name, *, batch_size, seed, data_dir=None, download=True, validation_examples=0,
                     max_train_examples=0, max_test_examples=0, image_shape=(28, 28, 1)):
    """Training batches of raw images (binarised afresh by the model at every step, labels
    unused); validation and test images binarised once (seeds 1 and 0)."""
    splits = image_classification_splits(
        dataset, image_shape, model_name=model_name, data_dir=data_dir, download=download,
        validation_examples=validation_examples, max_train_examples=max_train_examples,
        max_test_examples=max_test_examples)
    validation = splits["validation"]
    return Splits(train=shuffled_batches(splits["train"], batch_size, seed=seed),
                  validation=batched(binarized_once(validation, 1), 1000) if validation else None,
                  test=batched(binarized_once(splits["test"], 0), 500), info=splits["info"])
