"""Golden outputs of the shipped weights: a few numbers per registered model, computed from fixed
inputs, that any install must reproduce.

Recorded from the checkout (`python tests/golden.py --record`, after the shipped weights change)
into tests/golden.json; `tests/test_pretrained.py` checks the checkout against it and
`tests/test_wheel.py` runs this file, with `--check`, inside a fresh environment where the zoo
was installed from its wheel. It imports nothing of the checkout but `zoo` itself, so it runs
there as a plain script.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).with_name("golden.json")
RTOL, ATOL = 1e-3, 1e-4  # float rounding of another CPU; a different network is far off


def _pixels(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _numbers(values, n=8):
    """The first `n` values of the flattened output and its mean: a fingerprint of a tensor."""
    flat = np.asarray(values, np.float64).ravel()
    return [float(f"{v:.6g}") for v in (*flat[:n], flat.mean())]


def outputs(name, model):
    """{output name: [numbers]} of `model` (the registered `name`) on fixed inputs; only the
    networks' float outputs (`call`, likelihoods, codes), which no output convention changes."""
    import tensorflow as tf

    if name in ("lstm_image_classifier", "cnn_lstm_image_classifier"):
        return {"probabilities": _numbers(model.predict(_pixels((2, *model.image_shape)), verbose=0), 20)}
    if name == "cnn_lstm_video":
        clip = _pixels((1, 10, *model.frame_shape))
        return {"probabilities": _numbers(model.predict(clip, verbose=0), 40)}
    if name == "convlstm_video":
        clip = _pixels((1, 5, *model.frame_shape))
        return {"next_frame": _numbers(model(clip), 16)}
    if name in ("dcgan", "lstm_gan_image", "dense_gan"):
        latent = np.random.default_rng(0).normal(size=(2, model.latent_dim)).astype("float32")
        return {"images": _numbers(model(latent), 16)}
    if name in ("dcgan_conditional", "lstm_gan_image_conditional"):  # two classes of the same noise
        latent = np.random.default_rng(0).normal(size=(2, model.latent_dim)).astype("float32")
        return {"images": _numbers(model((latent, np.array([3, 7], "int32"))), 16)}
    if name == "vae":
        mean, log_variance = model.encode(_pixels((2, *model.image_shape)))
        return {"mean": _numbers(mean, 16), "log_variance": _numbers(log_variance)}
    if name == "vae_conditional":  # the same images as two classes
        mean, log_variance = model.encode(_pixels((2, *model.image_shape)), labels=[3, 7])
        return {"mean": _numbers(mean, 16), "log_variance": _numbers(log_variance)}
    if name == "pixel_lstm":
        binary = (_pixels((2, *model.image_shape)) >= 128).astype(np.uint8) * 255
        return {"log_prob": _numbers(model.log_prob(binary))}
    if name == "pixel_lstm_conditional":
        binary = (_pixels((2, *model.image_shape)) >= 128).astype(np.uint8) * 255
        return {"log_prob": _numbers(model.log_prob(binary, labels=[3, 7])),
                "marginal_log_prob": _numbers(model.marginal_log_prob(binary)[0])}
    if name == "lstm_gan_text":
        tokens = tf.constant([model.encode("To be, or not to be, that is the question:")], tf.int32)
        return {"sequence_nll": _numbers(model.sequence_nll(tokens)), "next_token": _numbers(model(tokens), 16)}
    if name == "lstm_gan_music":  # a fixed roll's likelihood, and the rolls of fixed latents and thresholds
        roll = (_pixels((2, model.steps, model.pitches)) >= 200).astype(np.uint8)
        latent = np.random.default_rng(0).normal(size=(2, model.latent_dim)).astype("float32")
        thresholds = np.random.default_rng(1).random((2, model.steps, model.pitches)).astype("float32")
        return {"nll_per_frame": _numbers(model.nll_per_frame(roll)),
                "rolls": _numbers(np.asarray(model((latent, thresholds))).reshape(2, -1).sum(axis=1))}
    raise KeyError(f"no golden outputs defined for {name!r}: add them to {__file__}")


def measure(names=None):
    import zoo

    return {name: outputs(name, zoo.load(name, weights="pretrained")) for name in names or zoo.list_models()}


def compare(measured, recorded):
    """Lines naming every model output that differs from the record."""
    problems = [f"{name}: no golden outputs recorded" for name in measured if name not in recorded]
    for name, values in measured.items():
        for key, numbers in values.items():
            expected = recorded.get(name, {}).get(key)
            if expected is None or not np.allclose(numbers, expected, rtol=RTOL, atol=ATOL):
                problems.append(f"{name}.{key}: {numbers} against the recorded {expected}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help=f"write the checkout's outputs to {GOLDEN.name}")
    parser.add_argument("--check", type=Path, help="compare with this golden file; exit 1 on a difference")
    args = parser.parse_args(argv)
    measured = measure()
    if args.record:
        lines = [f"  {json.dumps(name)}: {json.dumps(values)}" for name, values in measured.items()]
        GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n")
        print(f"recorded {len(measured)} models in {GOLDEN}")
        return 0
    problems = compare(measured, json.loads((args.check or GOLDEN).read_text()))
    print("\n".join(problems) or f"all {len(measured)} models match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
