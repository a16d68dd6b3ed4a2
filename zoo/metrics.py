"""Metrics for generated images, computed on the features and logits of a classifier (the
zoo's own MNIST classifier, as TF-GAN did for MNIST, since Inception weights cannot be
downloaded everywhere). Pure NumPy, so they are easy to check on known cases."""

import numpy as np


def gaussian_moments(features):
    """Mean and covariance of `features` [n, d] (float64)."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must be [n >= 2, d], got shape {features.shape}.")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance_from_moments(mean_a, cov_a, mean_b, cov_b):
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½), the Fréchet distance of two Gaussians.

    Tr((Σa Σb)^½) is computed as Σ √λ of the symmetric Σa^½ Σb Σa^½, which has the same
    eigenvalues as Σa Σb and, unlike it, real ones that round-off cannot make complex.
    """
    sqrt_a = _psd_sqrt(np.asarray(cov_a, np.float64))
    middle = sqrt_a @ np.asarray(cov_b, np.float64) @ sqrt_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = np.asarray(mean_a, np.float64) - np.asarray(mean_b, np.float64)
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def frechet_distance(features_a, features_b):
    """Fréchet distance between the Gaussians fitted to two feature sets [n, d]."""
    return frechet_distance_from_moments(*gaussian_moments(features_a), *gaussian_moments(features_b))


def classifier_score(logits):
    """exp(E_x KL(p(y|x) ‖ p(y))): the Inception-score formula on any classifier's logits.
    1 when every sample gets the same prediction; the number of classes at most."""
    logits = np.asarray(logits, np.float64)
    log_p = logits - _logsumexp(logits)
    p = np.exp(log_p)
    log_marginal = np.log(p.mean(axis=0) + 1e-300)
    return float(np.exp(np.mean(np.sum(p * (log_p - log_marginal), axis=1))))


def generated_image_report(generated, real_train, real_test, embed):
    """Classifier score and Fréchet distance of `generated` images, each beside its real-data
    reference, so a reader can judge the number:

    - classifier_score of the generated images, and of the real test images (the ceiling);
    - frechet_distance between generated and real test features, and between real train and
      real test features of the same count (the floor: what real data scores).

    `embed(images)` returns (features, logits); all image sets hold raw pixels. It is called
    once, on the three sets together.
    """
    if not len(generated) == len(real_train) == len(real_test):
        raise ValueError("generated, real_train and real_test must hold the same number of images.")
    n = len(generated)
    features, logits = embed(np.concatenate([generated, real_train, real_test]))
    return embedded_report(features[:n], logits[:n], features[n:2 * n], features[2 * n:], logits[2 * n:])


def embedded_report(generated_features, generated_logits, train_features, test_features, test_logits):
    """`generated_image_report` from the judge's features and logits of the three image sets."""
    score, real_score = classifier_score(generated_logits), classifier_score(test_logits)
    return {
        "classifier_score": round(score, 4),
        "classifier_score_real": round(real_score, 4),
        "classifier_score_ratio": round(score / real_score, 4),
        "frechet_distance": round(frechet_distance(generated_features, test_features), 4),
        "frechet_distance_floor": round(frechet_distance(train_features, test_features), 4),
        "quality_samples": len(generated_features),
    }


def conditional_report(generated, requested, real_test, test_labels, embed, real_train=None, train_labels=None):
    """How well a class-conditional generator draws the class it is asked for, under the judge
    `embed(images)` → (features, logits):

    - conditional_accuracy: the share of `generated` images the judge classifies as their
      `requested` class, beside conditional_accuracy_real, the judge's accuracy on the real
      test images (the ceiling);
    - class_frechet_distance: the Fréchet distance between each class's generated and real
      test features, averaged over the classes (a class with fewer than two images of
      either kind is left out); with `real_train` (and its `train_labels`),
      class_frechet_distance_floor: the same between each class's real train and real test
      images, as many of each class as were generated (a class's distance on about 1,000
      images carries a bias of its own, which this floor shows).

    >>> rng = np.random.default_rng(0)
    >>> def embed(images):  # features: the pixels; logits: one-hot of the first pixel
    ...     return images.reshape(len(images), -1), np.eye(2)[images[:, 0, 0, 0]]
    >>> images = np.repeat(np.arange(2), 8)[:, None, None, None] * np.ones((1, 2, 2, 1), int)
    >>> images = images + (rng.random(images.shape) < 0.5) * (np.arange(4).reshape(1, 2, 2, 1) > 0)
    >>> labels = np.repeat(np.arange(2), 8)
    >>> report = conditional_report(images, labels, images, labels, embed)
    >>> report["conditional_accuracy"], report["conditional_accuracy_real"], report["class_frechet_distance"]
    (1.0, 1.0, 0.0)
    """
    n = len(generated)
    features, logits = embed(np.concatenate([generated, real_test]))
    train_features = None if real_train is None else embed(real_train)[0]
    return embedded_conditional_report(features[:n], logits[:n], requested, features[n:], logits[n:], test_labels,
                                       train_features, train_labels)


def embedded_conditional_report(generated_features, generated_logits, requested, test_features, test_logits,
                                test_labels, train_features=None, train_labels=None):
    """`conditional_report` from images already embedded by the judge: the generated images'
    features and logits, the real test images' (and, for the floor, the real train images'
    features), so that one embedding serves this and `embedded_report`."""
    requested, test_labels = np.asarray(requested), np.asarray(test_labels)

    def class_distance(first, first_labels, second, second_labels):  # averaged over the requested classes
        distances = []
        for c in np.unique(requested):
            a, b = first[first_labels == c][:(requested == c).sum()], second[second_labels == c]
            if len(a) >= 2 and len(b) >= 2:
                distances.append(frechet_distance(a, b))
        return round(float(np.mean(distances)), 4) if distances else None

    report = {
        "conditional_accuracy": round(float(np.mean(np.argmax(generated_logits, axis=1) == requested)), 4),
        "conditional_accuracy_real": round(float(np.mean(np.argmax(test_logits, axis=1) == test_labels)), 4),
        "class_frechet_distance": class_distance(generated_features, requested, test_features, test_labels),
    }
    if train_features is not None:
        report["class_frechet_distance_floor"] = class_distance(train_features, np.asarray(train_labels),
                                                                test_features, test_labels)
    return report


def _psd_sqrt(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def _logsumexp(logits):
    top = logits.max(axis=1, keepdims=True)
    return top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
