"""What `benchmarks.generative` measures of a set of generated images, beside the judges'
scores of `zoo.quality`: how far each is from the nearest training image, how evenly the
classes come, the model's likelihood; and the real MNIST images they are compared with."""

import functools
import math

import numpy as np


def binarized(images, seed):
    """One Bernoulli draw per pixel (p = pixel / 255) → {0, 255} uint8, as the binary models'
    test images are drawn (`zoo.data.images.binarized_once`)."""
    import tensorflow as tf

    from zoo.data.images import binarized_once

    dataset = binarized_once(tf.data.Dataset.from_tensor_slices((images, np.zeros(len(images), np.int64))), seed)
    return np.asarray(next(iter(dataset.batch(len(images))))[0])


def nearest_distances(images, train, chunk=1000):
    """Euclidean distance (pixels in [0, 1]) from each of `images` to its nearest image in `train`."""
    a = images.reshape(len(images), -1).astype(np.float32) / 255.0
    b = train.reshape(len(train), -1).astype(np.float32) / 255.0
    b_norms = (b * b).sum(axis=1)
    best = np.full(len(a), np.inf, np.float32)
    for start in range(0, len(b), chunk * 10):
        block, block_norms = b[start:start + chunk * 10], b_norms[start:start + chunk * 10]
        squared = (a * a).sum(axis=1)[:, None] + block_norms[None] - 2 * a @ block.T
        best = np.minimum(best, squared.min(axis=1))
    return np.sqrt(np.clip(best, 0, None))


def class_entropy(logits):
    """Entropy of the histogram of predicted classes, as a fraction of ln(classes); and the histogram."""
    classes = np.argmax(logits, axis=1)
    counts = np.bincount(classes, minlength=logits.shape[1])
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum() / math.log(logits.shape[1])), counts.tolist()


def likelihood(name, model, card, nll_examples, nll_samples, data_dir):
    """The model's NLL (nats per image) on the first `nll_examples` binarised test images, as
    its recipe measures it; None for a model without a likelihood."""
    import dataclasses

    from zoo.recipe import evaluate_like_card
    from zoo.registry import get_entry

    if model.likelihood is None:
        return None
    fields = {f.name for f in dataclasses.fields(get_entry(name).recipe().evaluate_class())}
    changes = {"quality_samples": 0, "max_examples": nll_examples, "nll_examples": nll_examples,
               "nll_samples": nll_samples}
    measured = evaluate_like_card(name, model, card, data_dir=data_dir,
                                  **{k: v for k, v in changes.items() if k in fields and v is not None})
    return {"nll": measured["test_nll"], "kind": model.likelihood, "examples": measured["nll_examples"],
            **({"importance_samples": measured["nll_samples"]} if "nll_samples" in measured else {})}


@functools.lru_cache(maxsize=2)
def real_images(samples, train_examples, data_dir):
    """(MNIST train images (the first `train_examples`, 0: all), the first `samples` test
    images), raw uint8: loaded once per process."""
    from zoo.data.images import image_classification_splits

    splits = image_classification_splits("mnist", (28, 28, 1), model_name="benchmarks.generative", data_dir=data_dir,
                                         max_train_examples=train_examples)
    train = np.asarray(next(iter(splits["train"].batch(100_000)))[0])
    test = np.asarray(next(iter(splits["test"].take(samples).batch(samples)))[0])
    return train, test


@functools.lru_cache(maxsize=2)
def binarized_real(samples, train_examples, data_dir):
    """`real_images` binarised as the binary models' data is: seed 1 for train, 0 for test images."""
    train, test = real_images(samples, train_examples, data_dir)
    return binarized(train, 1), binarized(test, 0)
