"""benchmarks.generative: every registered image generator measured under one protocol, on
tiny settings here (the shipped table is made with the defaults); and the second judge."""

import json

import numpy as np
import pytest

import zoo
from benchmarks import generative, generative_report, samples
from zoo import cards, judges
from zoo.registry import get_entry

TINY = ["--samples", "32", "--train-examples", "256", "--nn-samples", "8", "--nll-examples", "4",
        "--nll-samples", "5", "--speed-repeats", "1"]


@pytest.mark.slow  # 21 s; the benchmark's run stays covered by default by dcgan's in its own process, below
def test_every_image_generator_is_measured_and_tabled(tmp_path):
    output = tmp_path / "generative"
    generative.main([*TINY, "--in-process", "--output", str(output)])
    report = json.loads(output.with_suffix(".json").read_text())
    expected = [n for n in zoo.list_models() if generative.is_image_generator(get_entry(n))]
    assert {"dcgan", "vae", "pixel_lstm", "lstm_gan_image"} <= set(expected)  # found by their task
    assert [r["model"] for r in report["models"]] == expected == generative.generators()
    rows = 0
    for result in report["models"]:
        binary = result["model"].removesuffix("_conditional") in ("vae", "pixel_lstm")
        assert result["rows"][0]["reference"] == ("binarised" if binary else "grey")
        assert (result["likelihood"] is not None) == binary
        for row in result["rows"]:
            rows += 1
            for judge in ("", "_conv"):
                assert row["classifier_score_ratio" + judge] > 0 and row["frechet_distance_floor" + judge] >= 0
            assert 0 <= row["class_entropy"] <= 1 and sum(row["class_histogram"]) == 32
            assert (row["nn_distance"] > 0 and row["nn_distance_real"] > 0) if "nn_distance" in row else \
                row["samples"] == "pixel means"
        assert result["parameters"] > 0 and result["sample_b1_per_s"] > 0 and result["sample_b64_per_s"] > 0
    vae = next(r for r in report["models"] if r["model"] == "vae")
    assert [row["samples"] for row in vae["rows"]] == ["Bernoulli draws", "pixel means"]  # its sample is means
    assert report["settings"]["sample_seed"] and report["machine"]["cpu_count"] >= 1
    lines = output.with_suffix(".md").read_text().splitlines()
    table = lines[:lines.index("")]
    assert len(table) == 2 + rows and all(line.count("|") == len(generative_report.COLUMNS) + 1 for line in table)
    assert all(" | – | " in line for line in table if line.startswith(("| `dcgan`", "| `lstm_gan_image`")))
    assert "/ token" in "\n".join(lines[len(table):])  # the text models' rows, in the papers' unit
    assert output.with_suffix(".png").stat().st_size > 0


def test_each_model_is_measured_in_a_process_of_its_own(tmp_path, capsys):
    output = tmp_path / "one"
    generative.main([*TINY, "--models", "dense_gan", "--output", str(output)])
    (result,) = json.loads(output.with_suffix(".json").read_text())["models"]
    assert result["model"] == "dense_gan" and "error" not in result and result["peak_memory_mb"] > 0
    assert result["weights_sha256"] == cards.read_card(cards.saved_models_dir() / "dense_gan")["weights_sha256"]

    # --merge measures the models named and keeps the others' rows, in the generators' order.
    generative.main([*TINY, "--models", "dcgan", "--merge", "--in-process", "--output", str(output)])
    report = json.loads(output.with_suffix(".json").read_text())
    assert [r["model"] for r in report["models"]] == ["dcgan", "dense_gan"]
    assert report["models"][1] == {**result, "in_process": False} and report["models"][0]["in_process"] is True
    table = output.with_suffix(".md").read_text()
    assert "| `dcgan` |" in table and "| `dense_gan` |" in table and "/ token" in table  # the file's comparison
    capsys.readouterr()
    with pytest.raises(SystemExit):  # rows measured with other settings would not compare
        generative.main([*TINY[:-1], "2", "--models", "dcgan", "--merge", "--output", str(output)])
    err = capsys.readouterr().err
    assert "other settings" in err and "speed_repeats" in err
    # A kept row whose model's weights have changed since is refused too.
    record = json.loads(output.with_suffix(".json").read_text())
    record["models"][1]["weights_sha256"] = "0" * 64
    output.with_suffix(".json").write_text(json.dumps(record))
    with pytest.raises(SystemExit):
        generative.main([*TINY, "--models", "dcgan", "--merge", "--output", str(output)])
    assert "dense_gan's row" in capsys.readouterr().err


def test_the_picture_is_the_first_64_images_as_the_first_row_judges_them():
    class Means:
        sample_pixels = "means"

    means = np.random.default_rng(0).uniform(size=(100, 28, 28, 1)).astype(np.float32)
    shown = generative.picture(Means(), means, 7)
    np.testing.assert_array_equal(shown, np.round(generative.bernoulli_draws(means, 7)[:64] * 255))
    Means.sample_pixels = "grey"
    np.testing.assert_array_equal(generative.picture(Means(), means, 7), np.round(means[:64] * 255).astype(np.uint8))


@pytest.mark.slow  # 12 s; by default, the picture's helper above (measure and the redraw share it)
def test_a_kept_models_picture_is_the_one_its_measuring_run_drew(tmp_path):
    """--merge draws the kept models' pictures anew: the same images as their measuring run showed
    (the VAE's: Bernoulli draws from its means, as its first row)."""
    from zoo.quality import SAMPLE_SEED

    result = generative.measure("vae", 32, 8, 4, 5, 1, None, tmp_path / "vae.npy", 256)
    assert result["rows"][0]["samples"] == "Bernoulli draws"
    measured = np.load(tmp_path / "vae.npy")
    assert measured.shape == (32, 28, 28, 1) and set(np.unique(measured)) <= {0, 255}
    np.testing.assert_array_equal(generative.redrawn_grids(["vae"], 32, SAMPLE_SEED)["vae"], measured)


def test_helpers_on_known_cases():
    train = np.zeros((5, 28, 28, 1), np.uint8)
    train[2] = 255
    images = train[[2, 0]].copy()
    images[1, 0, 0] = 255  # one pixel from its nearest
    np.testing.assert_allclose(samples.nearest_distances(images, train, chunk=1), [0.0, 1.0], atol=1e-3)
    uniform = np.eye(10)[np.arange(100) % 10]
    assert samples.class_entropy(uniform)[0] == pytest.approx(1.0)
    assert samples.class_entropy(np.eye(10)[np.zeros(100, int)]) == (0.0, [100] + [0] * 9)
    grey = np.full((4, 28, 28, 1), 128, np.uint8)
    first, again = samples.binarized(grey, 0), samples.binarized(grey, 0)
    np.testing.assert_array_equal(first, again)
    assert set(np.unique(first)) <= {0, 255} and 0.3 < first.mean() / 255 < 0.7


@pytest.mark.parametrize("flags, named", [
    (["--models", "lstm_image_classifier"], "not an image generator"),
    (["--samples", "1"], "--samples must be at least 2"),
    (["--samples", "20000"], "10,000"),
    (["--samples", "500", "--train-examples", "100"], "--train-examples 100"),
    (["--nll-samples", "0"], "--nll-samples must be at least 1"),
    (["--merge", "--models", "dcgan", "--output", "/nonexistent/generative"], "run without --merge first"),
    (["--merge"], "--merge measures the models --models names"),
])
def test_bad_flags_are_named(flags, named, capsys):
    with pytest.raises(SystemExit):
        generative.main(flags)
    assert named in capsys.readouterr().err


def test_the_shipped_judge_has_its_accuracy_and_refuses_other_shapes():
    judge = judges.load()
    from zoo.data.images import image_classification_splits

    test = image_classification_splits("mnist", (28, 28, 1), model_name="test")["test"]
    images, labels = next(iter(test.batch(10_000)))
    assert judge.accuracy(images.numpy(), labels.numpy()) == pytest.approx(judge.card["test_accuracy"], abs=1e-4)
    with pytest.raises(zoo.ConfigError, match=r"\(28, 28, 1\) images"):
        judge.features_and_logits(np.zeros((2, 32, 32, 1), np.uint8))
