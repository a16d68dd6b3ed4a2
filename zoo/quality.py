"""The quality of generated images as the zoo measures it for every image generator: the
classifier score and Fréchet distance of samples under the shipped `lstm_image_classifier`,
beside the same measures of real images (the approach TF-GAN took for MNIST)."""

import dataclasses
import typing

import numpy as np

from zoo import metrics
from zoo.config import at_least, existing_folder, option
from zoo.data.images import binarized_once, image_classification_splits
from zoo.errors import ConfigError

SAMPLE_SEED = 12345  # the seed of `model.sample` for every measurement, so it can be re-measured


JUDGE_DATASET = "mnist"  # what the shipped lstm_image_classifier, the default judge, was trained on


@dataclasses.dataclass
class SampleQuality:
    """The measurement settings of every recipe whose model draws images: a base of its
    `Settings` (flags of `zoo train`) and its `Measurement` (flags of `zoo evaluate`).

    Attributes:
        quality_samples: generated images for the classifier score and Fréchet distance (0:
            leave these measures out); default 10,000.
        judge_weights: weights folder of an `lstm_image_classifier` trained on the run's
            dataset, the judge of sample quality; default None (the shipped one, trained on
            MNIST; for another dataset the measure is skipped without one).
    """

    quality_samples: int = option(10_000, "generated images for the classifier score and Fréchet distance (0: "
                                          "leave these measures out)", at_least(0))
    judge_weights: typing.Optional[str] = option(
        None, "weights folder of an lstm_image_classifier trained on --dataset, the judge of sample quality "
              "(default: the shipped one, trained on mnist; for another dataset the measure is skipped without it)",
        existing_folder)


def judge_missing(dataset, judge_weights, samples=1):
    """Why the samples of a model trained on `dataset` cannot be judged (a note for the card),
    or None when they can: the default judge knows MNIST only. No `samples`: none asked for."""
    if not samples:
        return "sample quality not measured: --quality-samples 0"
    if judge_weights is None and dataset.partition(":")[0].partition("/")[0] != JUDGE_DATASET:
        return (f"sample quality not measured: the default judge (the shipped lstm_image_classifier) was trained on "
                f"{JUDGE_DATASET}, not {dataset}; give --judge-weights, the weights folder of an "
                f"lstm_image_classifier trained on {dataset} (zoo train lstm_image_classifier --dataset {dataset})")
    return None


def generated_image_quality(model, *, dataset, model_name, samples, data_dir=None, download=True,
                            test_examples=0, seed=SAMPLE_SEED, judge_weights=None):
    """Classifier score and Fréchet distance of `samples` images from `model.sample(n, seed)`
    (uint8), with the real-data ceiling (as many real test images, of the first
    `test_examples` when set) and floor (real train against real test images). The judge is
    the lstm_image_classifier of `judge_weights` (a weights folder; default: the shipped one);
    with the default judge, the same measures under the second, convolutional judge
    (`zoo.judges`) too, as `<metric>_conv`."""
    splits = image_classification_splits(dataset, model.image_shape, model_name=model_name, data_dir=data_dir,
                                         download=download, max_test_examples=test_examples)
    real_train = np.asarray(next(iter(splits["train"].take(samples).batch(samples)))[0])
    real_test = np.asarray(next(iter(splits["test"].take(samples).batch(samples)))[0])
    n = min(samples, len(real_train), len(real_test))
    generated = np.asarray(model.sample(n, seed=seed))  # uint8, as the judges read real images
    return judged(generated, real_train[:n], real_test[:n], default_judges(judge_weights))


def conditional_image_quality(model, *, dataset, model_name, samples, data_dir=None, download=True,
                              test_examples=0, seed=SAMPLE_SEED, judge_weights=None):
    """`generated_image_quality` of a class-conditional generator, whose `samples` images are
    drawn for the classes in turn (as many of each), and `metrics.conditional_report` under
    each judge: the share drawn as the class asked for, and the per-class Fréchet distance.
    For a model whose samples are binary (`sample_pixels == "binary"`), also
    conditional_accuracy_real_binary: the judge's accuracy on the real test images binarised
    once as its test set is (`zoo.data.images.binarized_once`, seed 0), the reference for a
    model of binary digits (the judges were trained on grey ones)."""
    splits = image_classification_splits(dataset, model.image_shape, model_name=model_name, data_dir=data_dir,
                                         download=download, max_test_examples=test_examples)
    real_train, train_labels = (np.asarray(t) for t in next(iter(splits["train"].take(samples).batch(samples))))
    real_test, test_labels = (np.asarray(t) for t in next(iter(splits["test"].take(samples).batch(samples))))
    n = min(samples, len(real_train), len(real_test))
    requested = np.arange(n) % model.num_classes
    generated = np.asarray(model.sample(n, seed=seed, labels=requested))  # uint8, as the judges read real images
    image_sets = [generated, real_train[:n], real_test[:n]]
    if getattr(model, "sample_pixels", "grey") == "binary":  # its reference: the real test digits as its test set is
        image_sets.append(np.asarray(next(iter(binarized_once(splits["test"].take(n), seed=0).batch(n)))[0]))
    report = {"quality_samples": n}
    for suffix, embed in default_judges(judge_weights).items():  # each judge embeds every image set once
        features, logits = embed(np.concatenate(image_sets))
        gen, train, test, binary = (slice(k * n, (k + 1) * n) for k in range(4))
        measured = metrics.embedded_report(features[gen], logits[gen], features[train], features[test], logits[test])
        measured.update(metrics.embedded_conditional_report(features[gen], logits[gen], requested, features[test],
                                                            logits[test], test_labels[:n], features[train],
                                                            train_labels[:n]))
        if len(image_sets) == 4:
            measured["conditional_accuracy_real_binary"] = round(
                float(np.mean(np.argmax(logits[binary], axis=1) == test_labels[:n])), 4)
        report.update({key + suffix: value for key, value in measured.items() if key != "quality_samples"})
    return report


FULL_TEMPERATURE = "_t1"  # the suffix of the sample measures at temperature 1 of a model that samples cooler


def drawn_as_itself(model):
    """Whether `model` draws from its own distribution: at temperature 1 and (a pixel model
    that has it) without classifier-free guidance; a model with no sampling fields does."""
    return not hasattr(model, "own_sampling_fields") or model.sampling_fields() == model.own_sampling_fields()


def at_full_temperature(model, measure):
    """`measure()`'s sample measures of `model` drawing as itself (a VAE's prior, a pixel
    model's own probabilities: temperature 1, no guidance) in place of its `sample_temperature`
    and `guidance`, with the suffix `FULL_TEMPERATURE`; the real images' own measures (_real,
    _floor), which do not depend on it, left out."""
    with model.sampling_as(**model.own_sampling_fields()):
        measured = measure()
    return {key + FULL_TEMPERATURE: value for key, value in measured.items()
            if "_real" not in key and "_floor" not in key and key != "quality_samples"}


def default_judges(judge_weights=None):
    """{metric suffix: embed} of the judges: the lstm_image_classifier of `judge_weights`
    (default: the shipped one, suffix ""), and with it the shipped conv judge ("_conv")."""
    import zoo  # the classifier is a registered model: imported when measuring, not before
    from zoo import judges

    found = {"": zoo.load("lstm_image_classifier", weights=judge_weights or "pretrained").features_and_logits}
    if judge_weights is None:
        found["_conv"] = judges.load().features_and_logits
    return found


def sample_quality(model, *, model_name, settings, dataset, test_examples, required=False):
    """The sample measures of `generated_image_quality` (`conditional_image_quality` for a
    model with `num_classes`) under `settings`' judge and number of samples (`SampleQuality`
    fields), or {} when there is no judge for `dataset` or `--quality-samples 0` leaves them
    out (the card's notes say why): with `required` (what `zoo evaluate` asks for), a
    ConfigError saying so."""
    missing = judge_missing(dataset, settings.judge_weights, settings.quality_samples)
    if missing and required:
        raise ConfigError(missing[0].upper() + missing[1:] + ".")
    if missing:
        return {}
    measure = conditional_image_quality if getattr(model, "num_classes", 0) else generated_image_quality
    return measure(model, dataset=dataset, model_name=model_name, samples=settings.quality_samples,
                   data_dir=settings.data_dir, download=settings.download, test_examples=test_examples,
                   judge_weights=settings.judge_weights)


def quality_notes(metrics, samples="samples", dataset=None):
    """The card's notes on how its sample measures were made (`samples`: what was drawn), or,
    where they were not, why (`dataset`: the card's dataset name)."""
    if "quality_samples" not in metrics:
        return [judge_missing(dataset, None) or judge_missing(dataset, None, samples=0)]
    notes = [f"classifier_score / frechet_distance: {metrics['quality_samples']} {samples} (seed {SAMPLE_SEED}) on "
             "the features and logits of the shipped lstm_image_classifier; the _real score is of as many real test "
             "images, the _floor distance between as many real train and test images"]
    if "classifier_score_conv" in metrics:
        notes.append("the same measures with the suffix _conv: under the second judge, the shipped convolutional "
                     "MNIST classifier of zoo.judges (saved_models/mnist_conv_judge), which no generator was tuned on")
    if "conditional_accuracy" in metrics:
        notes.append("conditional_accuracy: the share of the samples, drawn for the classes in turn (as many of each), "
                      "that the judge classifies as the class asked for; _real: the judge's accuracy on as many real "
                      "test images; class_frechet_distance: the Fréchet distance between each class's samples and its "
                      "real test images, averaged over the classes (_floor: the same between as many real train "
                      "images of each class and the real test images)")
    if "conditional_accuracy_real_binary" in metrics:
        notes.append("conditional_accuracy_real_binary: the judge's accuracy on the same real test images binarised "
                     "once, as the model's binary test set is (seed 0): the reference for binary samples")
    if any(key.endswith(FULL_TEMPERATURE) for key in metrics):
        notes.append(f"the samples are drawn at the model's sample_temperature (a VAE's z = mean + τ·σ·noise; a pixel "
                     f"model's p = sigmoid(logit / T)) and, for a pixel model with guidance w, each logit guided as "
                     f"(1 + w)·logit(x | y) − w·logit(x | no class); the measures with the suffix {FULL_TEMPERATURE} are "
                     f"of as many samples, the same seed, at temperature 1 without guidance: the model itself")
    return notes


def judged(generated, real_train, real_test, embeds):
    """`metrics.generated_image_report` under each judge of `embeds` ({suffix: embed}), the
    metrics of each named with its suffix."""
    report = {}
    for suffix, embed in embeds.items():
        for key, value in metrics.generated_image_report(generated, real_train, real_test, embed).items():
            report[key if key == "quality_samples" else key + suffix] = value
    return report
