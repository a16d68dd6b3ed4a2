"""Fingerprints of what the zoo computes, to show a restructuring changed no behaviour: for every
registered model, the weights a seeded smoke run trains (and the metrics its card gets), the
outputs of every endpoint of the shipped model's SavedModel export, and a short re-measure of
the shipped weights as `zoo evaluate` does it.

    python tests/fingerprints.py --record before.json     # on the old code
    python tests/fingerprints.py --check before.json      # on the new: exit 1 on a difference

Smoke runs are made with --deterministic, so two runs of the same code give the same bits; the
comparison is exact (a restructuring moves code, it changes no arithmetic).
"""

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np


def digest(arrays):
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        # Strings (object arrays of bytes) by value: their buffer holds pointers.
        h.update(repr(a.tolist()).encode() if a.dtype == object else np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def signature_inputs(specs):
    """{input name: value} for a signature: `test_pixels.example_inputs`' valid inputs."""
    from test_pixels import example_inputs  # this script runs from tests/, beside it

    return {spec.name: value for spec, value in zip(specs, example_inputs(specs))}


def smoke(name, folder):
    import zoo

    recipe = zoo.registry.get_entry(name).recipe()
    card = recipe.main(["--smoke", "--deterministic", "--output", str(folder)])
    model = zoo.load(name, weights=str(folder))
    return {"weights": digest(model.get_weights()), "metrics": card["metrics"],
            "files": sorted(card["files"])}


def exported(name, folder):
    import tensorflow as tf

    import zoo

    model = zoo.load(name, weights="pretrained")
    version = zoo.export(model, folder / "serving")
    loaded = tf.saved_model.load(str(version))
    outputs = {}
    for endpoint, (_, specs) in sorted(model.serving_signatures().items()):
        result = loaded.signatures[endpoint](**signature_inputs(specs))
        outputs[endpoint] = {key: digest([value.numpy()]) for key, value in sorted(result.items())}
    return outputs


# Short re-measures: the card's settings with fewer examples and samples.
SHORT = dict(max_examples=200, quality_samples=200, nll_examples=20, nll_samples=50)


def remeasured(name):
    import dataclasses

    import zoo
    from zoo import cards
    from zoo.recipe import evaluate_like_card
    from zoo.registry import get_entry

    card = cards.read_card(cards.saved_models_dir() / name)
    fields = {f.name for f in dataclasses.fields(get_entry(name).recipe().evaluate_class())}
    changes = {k: v for k, v in SHORT.items() if k in fields}
    card = {**card, "dataset": {**card["dataset"], "test_examples": SHORT["max_examples"]}}
    return evaluate_like_card(name, zoo.load(name, weights="pretrained"), card, **changes)


def measure(names):
    out = {}
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            out[name] = {"smoke": smoke(name, tmp / "smoke"), "export": exported(name, tmp),
                         "remeasured": remeasured(name)}
        print(name, json.dumps(out[name])[:300], flush=True)
    return out


def differences(now, then, path=""):
    if isinstance(now, dict) and isinstance(then, dict):
        lines = [f"{path}/{k}: missing now" for k in then if k not in now]
        lines += [f"{path}/{k}: new" for k in now if k not in then]
        for k in now.keys() & then.keys():
            lines += differences(now[k], then[k], f"{path}/{k}")
        return lines
    return [] if now == then else [f"{path}: {now!r} now, {then!r} before"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", type=Path)
    parser.add_argument("--check", type=Path)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    import zoo

    measured = measure(args.names or zoo.list_models())
    if args.record:
        args.record.write_text(json.dumps(measured, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(measured)} models in {args.record}")
        return 0
    then = json.loads(args.check.read_text())
    problems = differences(measured, {k: v for k, v in then.items() if k in measured})
    print("\n".join(problems) or f"all {len(measured)} models unchanged")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
