"""The docs' TF Serving requests, model by model and endpoint by endpoint (each model page's
serving block, `docs.generate.serving_block`): each `curl` body is decoded as TF Serving's REST
API decodes it (row format `instances`, columnar `inputs`, `signature_name`) and sent through the
exported model's loaded SavedModel signature, so the documented request is known to match the
signature's names, dtypes and shapes. Every endpoint of every registered model has one."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import zoo

from conftest import SLOW_VARIANTS, params, tiny
from docs import generate

REPO = Path(__file__).resolve().parent.parent


def page_requests(name, model):
    """[(model, docker command, JSON body)] of the serving block on `name`'s docs page."""
    block = generate.serving_block(name, model)
    requests, made, docker = [], None, {}
    for line in block.splitlines():
        if line.startswith("docker run"):
            docker[re.search(r"MODEL_NAME=(\w+)", line).group(1)] = line
        elif line.startswith("python3 -c"):
            code = shlex.split(line.split(">", 1)[0])[2]
            made = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
        elif line.startswith("curl"):
            words = shlex.split(line)
            body = words[words.index("-d") + 1]
            body = made if body == "@request.json" else body
            served = re.fullmatch(r"http://localhost:8501/v1/models/(\w+):predict", words[-1]).group(1)
            requests.append((served, docker.get(served), json.loads(body)))
    return requests


def decoded(body, signature):
    """{input name: tensor} of a REST predict body, as TF Serving makes it for `signature`."""
    args, kwargs = signature.structured_input_signature
    specs = kwargs or {s.name: s for s in args}
    if ("instances" in body) == ("inputs" in body):
        raise AssertionError("a predict body has either 'instances' or 'inputs'")
    if "instances" in body:
        rows = body["instances"]
        if all(isinstance(row, dict) for row in rows):
            given = {name: [row[name] for row in rows] for name in rows[0]}
        else:
            assert len(specs) == 1, "an unnamed instance needs a signature of one input"
            given = {next(iter(specs)): rows}
    else:
        given = body["inputs"] if isinstance(body["inputs"], dict) else {next(iter(specs)): body["inputs"]}
    assert set(given) == set(specs), f"inputs {sorted(given)}, the signature takes {sorted(specs)}"
    tensors = {}
    for name, value in given.items():
        spec = specs[name]
        array = np.asarray(value, dtype=object if spec.dtype == tf.string else spec.dtype.as_numpy_dtype)
        assert array.ndim == spec.shape.rank, (name, array.shape, spec.shape)
        assert all(d is None or d == a for d, a in zip(spec.shape, array.shape)), (name, array.shape, spec.shape)
        if spec.dtype.is_integer:
            assert np.array_equal(np.asarray(value), array), f"{name}: {value} is not {spec.dtype.name}"
        tensors[name] = tf.constant(array, dtype=spec.dtype)
    return tensors


# lstm_gan_music's requests (14 s: its 64-step generator, unrolled) with -m slow too: its endpoints
# take float tensors and counts as the GANs' do, whose requests stay in the default run. So do
# lstm_gan_image's latents and counts (as dcgan's) and convlstm_video's frames to continue (as
# cnn_lstm_video's clips, a float video batch), 19 s together.
SLOW_REQUESTS = (*SLOW_VARIANTS, "lstm_gan_music", "convlstm_video", "lstm_gan_image")


@pytest.mark.parametrize("name", params([n for n in zoo.list_models() if n not in SLOW_REQUESTS], slow=SLOW_REQUESTS))
def test_every_endpoint_has_a_request_that_fits_the_loaded_signature(name, tmp_path):
    model = zoo.load(name, weights="pretrained")
    requests = page_requests(name, model)
    assert sorted(b.get("signature_name", "serving_default") for _, _, b in requests) == sorted(
        model.serving_signatures())
    exported = tf.saved_model.load(str(zoo.export(model, tmp_path)))
    for served, docker, body in requests:
        assert served == name
        assert docker == (f'docker run -p 8501:8501 -v "$PWD/exports/{name}/serving:/models/{name}" '
                          f"-e MODEL_NAME={name} tensorflow/serving")
        signature = exported.signatures[body.get("signature_name", "serving_default")]
        outputs = signature(**decoded(body, signature))
        rows = {int(v.shape[0]) for v in outputs.values() if v.shape.rank}
        assert len(rows) == 1 and rows.pop() >= 1, body.get("signature_name")


def test_decoding_refuses_what_tf_serving_would():
    model = tiny("vae")
    signature = tf.function(model.serving_signatures()["decode"][0]).get_concrete_function(
        *model.serving_signatures()["decode"][1])
    with pytest.raises(AssertionError, match="inputs"):
        decoded({"inputs": {"z": [[0.0] * 4]}}, signature)
    with pytest.raises(AssertionError):
        decoded({"instances": [[0.0] * 5]}, signature)
