"""Fine-tuning (`zoo train NAME --init ...`): the weight transfer keeps the body and rebuilds a
classifier's head for another class count; a run started from the shipped weights on a folder
of three classes records where it started; flags and image shapes that do not fit the weights
are refused with one line before any data is read."""

import json
import re

import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import refusal
from zoo.recipe import run_settings
from zoo.registry import get_entry
from zoo.training.transfer import transfer_weights
from zoo.weights import file_sha256


def write_pngs(folder, classes=("bars", "dots", "rings"), per_class=8, size=28):
    """A folder of `per_class` grey PNGs per class, each class with its own pattern."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            image = (rng.random((size, size, 1)) * 60).astype(np.uint8)
            image[:, 6 * c:6 * c + 4] = 255
            (folder / name / f"{i}.png").write_bytes(tf.io.encode_png(image).numpy())
    return folder


@pytest.fixture(scope="module")
def pretrained():
    return zoo.load("lstm_image_classifier", weights="pretrained")


def fresh_like(model, **changes):
    entry = get_entry("lstm_image_classifier")
    return entry.cls(**{**{k: model.get_config()[k] for k in entry.default_config()}, **changes})


def test_transfer_keeps_the_body_and_rebuilds_the_head_for_another_class_count(pretrained):
    fresh = fresh_like(pretrained, num_classes=3, class_names=["a", "b", "c"], seed=1)
    head_before = {v.path: np.array(v) for v in fresh.weights if v.path.startswith("logits/")}
    report = transfer_weights(pretrained, fresh)
    assert report["rebuilt"] == ["logits/kernel", "logits/bias"] and report["kept"] == len(fresh.weights) - 2
    for mine, theirs in zip(fresh.weights, pretrained.weights):
        if mine.path.startswith("logits/"):
            assert mine.shape[-1] == 3 and np.array_equal(np.array(mine), head_before[mine.path])  # fresh
        else:
            assert np.array_equal(np.array(mine), np.array(theirs)), mine.path


def test_transfer_keeps_everything_for_the_same_class_count(pretrained):
    fresh = fresh_like(pretrained, class_names=list("abcdefghij"), seed=1)
    report = transfer_weights(pretrained, fresh)
    assert report["rebuilt"] == [] and report["kept"] == len(fresh.weights)
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 1), dtype=np.uint8)
    np.testing.assert_allclose(fresh.predict(images, verbose=0), pretrained.predict(images, verbose=0), atol=1e-6)


def test_init_pretrained_smoke_run_on_a_three_class_folder(tmp_path):
    folder = write_pngs(tmp_path / "pngs")
    output = tmp_path / "run"
    card = get_entry("lstm_image_classifier").recipe().main(
        ["--smoke", "--images", str(folder), "--init", "pretrained", "--output", str(output)])
    shipped = json.loads((zoo.cards.saved_models_dir() / "lstm_image_classifier" / "config.json").read_text())
    assert card["model_config"]["num_classes"] == 3 and card["model_config"]["class_names"] == ["bars", "dots", "rings"]
    assert card["model_config"]["units"] == shipped["units"]  # the weights' architecture, not --smoke's
    init = card["init"]
    assert init["from"] == "pretrained" and init["rebuilt"] == ["logits/kernel", "logits/bias"]
    assert init["weights_sha256"] == file_sha256(zoo.cards.saved_models_dir() / "lstm_image_classifier"
                                                 / "model.weights.h5")
    assert init["kept"] == len(zoo.load("lstm_image_classifier", weights=output).weights) - 2
    assert card["recipe"]["config"]["init"] == "pretrained"


@pytest.mark.parametrize("flags, message", [
    (["--units", "64"], r"--units 64 does not fit the --init pretrained weights, made with units=128: variable "
                        r"\S+ has shape \(28, 256\) here but \(28, 512\) in the weights"),
    (["--image-size", "32"], r"The --init pretrained weights read inputs of shape \(28, 28, 1\), not \(32, 32, 1\): "
                             r"give --image-size 28 --channels 1"),
    (["--channels", "3"], r"give --image-size 28 --channels 1"),
])
def test_flags_that_do_not_fit_the_weights_are_refused_before_the_data(flags, message, tmp_path, capsys):
    output = tmp_path / "run"
    status, error = refusal(["train", "lstm_image_classifier", "--smoke", "--images", str(tmp_path),
                             "--init", "pretrained", *flags, "--output", str(output)], capsys)
    assert status == 2 and re.search(message, error), error
    assert not output.exists()


def test_a_field_that_keeps_the_shapes_may_change_and_init_is_a_run_setting():
    recipe = get_entry("lstm_image_classifier").recipe()
    config = recipe.config(init="pretrained", dropout=0.5, epochs=1)
    assert config.dropout == 0.5 and config.units == 128  # given, and from the weights' config.json
    assert run_settings(config)["init"] == "pretrained"  # a resumed run must start from the same weights


def test_missing_init_weights_are_one_line(tmp_path, capsys):
    status, error = refusal(["train", "lstm_image_classifier", "--smoke", "--init", str(tmp_path / "nothing"),
                             "--output", str(tmp_path / "run")], capsys)
    assert status == 2 and "--init" in error and "nothing" in error, error


@pytest.mark.slow
def test_a_generator_and_a_video_classifier_start_from_their_shipped_weights(tmp_path):
    from test_own_data import write_videos

    folder = write_pngs(tmp_path / "pngs", classes=("only",), per_class=12)
    card = get_entry("dcgan").recipe().main(["--smoke", "--images", str(folder), "--init", "pretrained",
                                             "--output", str(tmp_path / "gan")])
    assert card["init"]["rebuilt"] == [] and card["init"]["fresh_counters"] == ["ema_updates"]
    videos = write_videos(tmp_path / "videos", frames=8, per_class=4, corrupt=False)
    card = get_entry("cnn_lstm_video").recipe().main(
        ["--smoke", "--videos", str(videos), "--clip-frames", "6", "--num-frames", "4", "--baseline-epochs", "0",
         "--init", "pretrained", "--output", str(tmp_path / "video")])
    assert card["model_config"]["num_classes"] == 2 and card["init"]["rebuilt"] == ["logits/kernel", "logits/bias"]


@pytest.mark.slow
def test_a_killed_init_run_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    import test_resume

    name = "lstm_image_classifier"
    monkeypatch.setitem(test_resume.FLAGS, name, [*test_resume.FLAGS[name], "--init", "pretrained"])
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    test_resume.run(name, whole)
    assert test_resume.kill_inside_second_epoch(name, resumed) == ["epoch-1"]
    assert "Resuming after epoch 1" in test_resume.run(name, resumed)
    cards = [json.loads((folder / "model_card.json").read_text()) for folder in (whole, resumed)]
    assert cards[1]["weights_sha256"] == cards[0]["weights_sha256"] and cards[1]["init"] == cards[0]["init"]


def test_the_benchmark_draws_the_same_garments_and_the_guide_quotes_its_measurement():
    from pathlib import Path

    from benchmarks import finetune

    images, labels = finetune.garments(3, seed=5)
    again, _ = finetune.garments(3, seed=5)
    assert images.shape == (30, 28, 28) and images.dtype == np.uint8 and np.array_equal(images, again)
    assert sorted(set(labels.tolist())) == list(range(10))
    result = json.loads((Path(finetune.HERE) / "finetune.json").read_text())
    guide = (Path(finetune.HERE).parent / "docs" / "pages" / "guides" / "training.md").read_text()
    section = guide.split("## Fine-tuning from the shipped weights", 1)[1].split("\n## ", 1)[0]
    for per_class in finetune.SIZES:
        for start in ("scratch", "pretrained"):
            arm = [r["test_accuracy"] for r in result["classifier"] if r["per_class"] == per_class
                   and r["start"] == start]
            assert finetune.mean_sd(arm) in section, (per_class, start)
    for start in ("scratch", "pretrained"):
        arm = [r["classifier_score_ratio_conv"] for r in result["gan"] if r["start"] == start]
        assert finetune.mean_sd(arm) in section, start
