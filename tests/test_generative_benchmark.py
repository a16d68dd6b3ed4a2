"""benchmarks.generative: every registered image generator measured under one protocol, on
tiny settings here (the shipped table is made with the defaults)."""

import json

import numpy as np
import pytest

import zoo
from benchmarks import generative
from zoo.registry import get_entry


def test_every_image_generator_is_measured_and_tabled(tmp_path):
    output = tmp_path / "generative"
    generative.main(["--samples", "32", "--nn-samples", "8", "--nll-examples", "4", "--nll-samples", "5",
                     "--speed-repeats", "1", "--train-examples", "256", "--in-process", "--output", str(output)])
    report = json.loads(output.with_suffix(".json").read_text())
    expected = [n for n in zoo.list_models() if "image generation" in get_entry(n).task]
    assert {"dcgan", "vae", "pixel_lstm", "lstm_gan_image"} <= set(expected)
    assert [r["model"] for r in report["models"]] == expected == generative.generators()
    rows = 0
    for result in report["models"]:
        binary = result["model"] in ("vae", "pixel_lstm")
        assert {row["reference"] for row in result["rows"]} >= ({"binarised"} if binary else {"grey"})
        assert (result["likelihood"] is not None) == binary
        for row in result["rows"]:
            rows += 1
            for judge in ("", "_conv"):
                assert 0 < row["classifier_score_ratio" + judge] and row["frechet_distance_floor" + judge] >= 0
            assert 0 <= row["class_entropy"] <= 1 and sum(row["class_histogram"]) == 32
            assert row["nn_distance"] > 0 and row["nn_distance_real"] > 0
        assert result["parameters"] > 0 and result["sample_b1_per_s"] > 0 and result["sample_b64_per_s"] > 0
    vae = next(r for r in report["models"] if r["model"] == "vae")
    assert [row["samples"] for row in vae["rows"]] == ["Bernoulli draws", "pixel means"]  # its sample is means
    lines = output.with_suffix(".md").read_text().splitlines()
    table = lines[:lines.index("")] if "" in lines else lines
    assert len(table) == 2 + rows and all(line.count("|") == table[0].count("|") for line in table)
    assert output.with_suffix(".png").stat().st_size > 0


def test_helpers_on_known_cases():
    train = np.zeros((5, 28, 28, 1), np.uint8)
    train[2] = 255
    images = train[[2, 0]].copy()
    images[1, 0, 0] = 255  # one pixel from its nearest
    np.testing.assert_allclose(generative.nearest_distances(images, train, chunk=1), [0.0, 1.0], atol=1e-3)
    uniform = np.eye(10)[np.arange(100) % 10]
    assert generative.class_entropy(uniform)[0] == pytest.approx(1.0)
    assert generative.class_entropy(np.eye(10)[np.zeros(100, int)]) == (0.0, [100] + [0] * 9)
    grey = np.full((4, 28, 28, 1), 128, np.uint8)
    first, again = generative.binarized(grey, 0), generative.binarized(grey, 0)
    np.testing.assert_array_equal(first, again)
    assert set(np.unique(first)) <= {0, 255} and 0.3 < first.mean() / 255 < 0.7


def test_bad_flags_are_named():
    with pytest.raises(SystemExit):
        generative.main(["--models", "lstm_image_classifier"])  # not a generator
    with pytest.raises(SystemExit):
        generative.main(["--samples", "1"])
