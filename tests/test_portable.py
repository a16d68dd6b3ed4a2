"""LiteRT and ONNX exports (`zoo.portable`; the docs' support tables are generated from
`zoo.exports.support`): every portable endpoint answers as the SavedModel does in its own
runtime in a process without TensorFlow (one model by default, every model with `-m slow`), the
uint8-in contract holds, and bad export requests get clear errors."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo import exports, portable
from zoo.errors import ConfigError
from zoo.registry import conditional_variants, get_entry

from conftest import params, tiny

REPO = Path(__file__).resolve().parent.parent
NAMES = zoo.list_models()


@pytest.fixture(scope="module")
def images():
    return portable.test_images(256)


def check_export(model, fmt, tmp_path, rows, images):
    result = portable.verify(model, fmt, tmp_path, rows=rows, repeats=3, images=images)
    assert result["tensorflow_imported"] is False
    assert result["agrees"], result["parity"]
    assert set(result["latency_ms"]) == set(result["inputs"])
    # The uint8-in contract: what the SavedModel takes as uint8 the export takes as uint8.
    for endpoint, (_, specs) in model.serving_signatures().items():
        for spec in specs:
            if endpoint in result["inputs"]:
                assert result["inputs"][endpoint][spec.name][0] == spec.dtype.name, (endpoint, spec.name)
    return result


@pytest.mark.parametrize("fmt", ["litert", "onnx"])
def test_classifier_exports_agree_with_the_saved_model(fmt, tmp_path, images):
    model = zoo.load("lstm_image_classifier", weights="pretrained")
    result = check_export(model, fmt, tmp_path, rows=256, images=images)
    assert result["inputs"]["serving_default"]["images"][0] == "uint8"
    assert set(result["parity"]) == {"serving_default/probabilities", "serving_default/class_id"}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["litert", "onnx"])
@pytest.mark.parametrize("name", NAMES)
def test_every_export_agrees_with_the_saved_model(name, fmt, tmp_path, images):
    model = zoo.load(name, weights="pretrained")
    result = check_export(model, fmt, tmp_path, rows=256, images=images)
    assert set(result["inputs"]) == {e for e, f in exports.support(model).items() if f[fmt].startswith("yes")}


# Every model with a `cell` field exports with a GRU and a plain RNN where it does with its LSTM:
# the classifier's GRU to ONNX by default, every other case with -m slow (a LiteRT conversion of
# it takes 30 s).
CELL_EXPORTS = [(name, cell, fmt) for name in NAMES
                if "cell" in get_entry(name).default_config() and name not in conditional_variants()
                for cell in ("gru", "rnn") for fmt in ("litert", "onnx")]
DEFAULT_CELL_EXPORTS = [("lstm_image_classifier", "gru", "onnx")]


@pytest.mark.parametrize("name,cell,fmt", params(DEFAULT_CELL_EXPORTS,
                                                 slow=[c for c in CELL_EXPORTS if c not in DEFAULT_CELL_EXPORTS]))
def test_every_cell_exports_where_the_lstm_does(name, cell, fmt, tmp_path, images):
    model = tiny(name, cell=cell)
    support = exports.support(model)
    assert support == exports.support(tiny(name))
    result = check_export(model, fmt, tmp_path, rows=64, images=images)
    assert set(result["inputs"]) == {e for e, f in support.items() if f[fmt].startswith("yes")}


def test_parity_rules():
    reference = {"e/p": np.array([0.5, -80.0], np.float32), "e/pixels": np.array([10, 200], np.uint8),
                 "e/class_id": np.array([1, 2], np.int32), "e/name": np.array([b"a", b"b"])}
    close = {"e/p": np.array([0.50009, -80.00009], np.float32), "e/pixels": np.array([11, 199], np.uint8),
             "e/class_id": np.array([1, 2], np.int32)}
    report = portable.parity(reference, close)
    assert set(report) == {"e/p", "e/pixels", "e/class_id"}  # strings are not exported
    assert all(r["agrees"] for r in report.values())
    far = {"e/p": np.array([0.5002, -80.0], np.float32), "e/pixels": np.array([12, 200], np.uint8),
           "e/class_id": np.array([1, 3], np.int32)}
    assert not any(r["agrees"] for r in portable.parity(reference, far).values())
    missing = {"max_abs_diff": float("inf"), "agrees": False, "share_differing": 1.0}
    assert portable.parity(reference, {})["e/p"] == missing


def test_fixed_shapes_and_support_text():
    video = tiny("cnn_lstm_video")
    assert exports.fixed_shapes(video, "litert") == {"video": (1, 10, 64, 64, 1)}
    assert exports.fixed_shapes(video, "onnx") == {}
    assert exports.support(video)["serving_default"] == {
        "saved_model": "yes", "litert": "yes (video [1, 10, 64, 64, 1])", "onnx": "yes"}
    gan = tiny("dcgan")
    assert exports.support(gan)["sample"]["onnx"].startswith("no: random draws")
    assert "sample" not in exports.portable_signatures(gan)


def test_export_errors(tmp_path):
    model = tiny("vae")
    with pytest.raises(ConfigError, match="Unknown export format 'tflite': choose one of saved_model, litert, onnx"):
        zoo.export(model, tmp_path, format="tflite")
    with pytest.raises(ConfigError, match="version applies to SavedModel exports"):
        zoo.export(model, tmp_path, format="onnx", version=2)


def test_cli_export_litert_and_runtime_errors(tmp_path):
    from zoo.cli import main

    assert main(["export", "vae", "--format", "litert", "--output", str(tmp_path / "litert")]) == 0
    path = tmp_path / "litert" / exports.LITERT_FILE
    assert path.exists() and not list((tmp_path / "litert").glob(".tmp-*"))
    runtime = [sys.executable, str(REPO / "zoo" / "runtimes.py")]
    np.savez(tmp_path / "in.npz", **{"nope/images": np.zeros((1, 28, 28, 1), np.uint8)})
    process = subprocess.run(runtime + [str(path), str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
                             capture_output=True, text=True)
    assert process.returncode != 0
    assert re.search(r"no endpoint 'nope'; it has \['decode', 'encode', 'serving_default'\]", process.stderr)
    process = subprocess.run(runtime + [str(tmp_path), str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
                             capture_output=True, text=True)
    assert "neither a .tflite file nor a folder of .onnx files" in process.stderr


def test_onnx_export_is_whole_or_absent_and_spares_other_files(tmp_path, monkeypatch):
    model = tiny("vae")
    folder = zoo.export(model, tmp_path / "onnx", format="onnx")
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(first) == ["decode.onnx", "encode.onnx", "serving_default.onnx"]
    written = []
    real = Path.write_bytes

    def dies_on_the_second(self, data):
        written.append(self.name)
        if len(written) == 2:
            raise OSError("disk full")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", dies_on_the_second)
    with pytest.raises(OSError, match="disk full"):
        zoo.export(tiny("vae", seed=1), folder, format="onnx")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.joinpath("onnx").iterdir()} == first  # the old export, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["onnx"]  # no temporary left
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "model.weights.h5").write_bytes(b"precious")
    with pytest.raises(ConfigError, match="holds files other than an ONNX export's"):
        zoo.export(model, tmp_path / "mine", format="onnx")
    assert (tmp_path / "mine" / "model.weights.h5").read_bytes() == b"precious"
