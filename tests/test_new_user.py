"""A new user's first ten minutes (issue 44): `zoo train` never writes into the shipped models
unless asked and never lets two runs share a folder, no traceback reaches the terminal, data
that is missing offline is reported in seconds, and `zoo list` / `zoo info` describe what ships.
(The wheel's recipes are checked in test_wheel.py, the pixel convention and input shapes in
test_pixels.py.)"""

import json
import os
import time

import pytest

import zoo
from zoo import cards, cli, runs, weights

NAME = "lstm_image_classifier"


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err):
    lines = [line for line in err.strip().splitlines() if not line.startswith(("WARNING:absl", "W0000", "I0000"))]
    return code == 2 and len(lines) == 1 and "Traceback" not in err


# -- 1. the shipped weights are never overwritten unless asked; one run per folder ----------------

def test_train_writes_a_run_folder_of_its_own_and_leaves_the_shipped_weights(capsys, tmp_path, monkeypatch):
    from zoo.data import resolve_data_dir

    # The data folder as an absolute path before leaving the checkout (CI gives a relative one).
    monkeypatch.setenv("TFDS_DATA_DIR", os.path.abspath(resolve_data_dir()))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "train", NAME, "--smoke")
    assert code == 0, err
    (folder,) = (tmp_path / "runs" / NAME).iterdir()
    assert (folder / cards.CARD).is_file() and (folder / cards.WEIGHTS).is_file()
    assert f"→ runs/{NAME}/{folder.name}" in out and f"Wrote runs/{NAME}/{folder.name}" in out  # at start and end
    weights.verify(NAME)  # the shipped files still match the manifest
    assert zoo.info(NAME).metrics["test_accuracy"] > 0.99
    assert not (folder / runs.LOCK).exists()  # released


def test_training_into_the_shipped_folder_needs_overwrite(capsys):
    folder = cards.saved_models_dir() / NAME
    code, _, err = run_cli(capsys, "train", NAME, "--smoke", "--output", str(folder))
    assert one_line_error(code, err), err
    assert "already holds the shipped weights" in err and "--overwrite" in err
    weights.verify(NAME)


def test_a_second_run_into_a_locked_folder_is_refused_naming_the_first(capsys, tmp_path):
    with runs.locked(tmp_path / "out"):
        code, _, err = run_cli(capsys, "train", NAME, "--smoke", "--output", str(tmp_path / "out"))
    assert one_line_error(code, err), err
    assert "is being written by another run" in err and f"pid {os.getpid()}" in err
    assert not (tmp_path / "out" / cards.CARD).exists()
    code, _, err = run_cli(capsys, "train", NAME, "--smoke", "--output", str(tmp_path / "new"), "--dataset", "nope")
    assert code == 2 and not (tmp_path / "new").exists()  # refused before writing: no empty folder left


def test_the_default_folder_resumes_an_interrupted_run_with_the_same_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = {"epochs": 3, "seed": 0}
    interrupted = runs.RUNS / NAME / "2026-01-01_00-00-00"
    (interrupted / ".backup" / "epoch-1").mkdir(parents=True)
    (interrupted / ".backup" / "epoch-1" / "run.json").write_text(json.dumps(settings))
    assert runs.default_output(NAME, settings) == interrupted
    assert runs.default_output(NAME, {**settings, "seed": 1}) != interrupted  # other settings: a new run
    (interrupted / cards.CARD).write_text("{}")  # finished: never resumed
    assert runs.default_output(NAME, settings) != interrupted


# -- the first command: pretrained weights at work in seconds ----------------------------------------

def test_sample_writes_pngs_or_a_grid_and_predict_reads_them(capsys, tmp_path):
    code, out, err = run_cli(capsys, "sample", "dcgan", "--count", "4", "--seed", "3", "--output", str(tmp_path / "d"))
    assert code == 0, err
    files = sorted((tmp_path / "d").glob("*.png"))
    assert len(files) == 4
    code, out, err = run_cli(capsys, "predict", NAME, *map(str, files))
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == list(map(str, files)) and all(r[1] in "0123456789" for r in rows)
    code, _, err = run_cli(capsys, "sample", "vae", "--count", "3", "--output", str(tmp_path / "grid.png"))
    assert code == 0 and (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG", err
    code, out, _ = run_cli(capsys, "sample", "lstm_gan_text", "--count", "2", "--seed", "0")
    assert code == 0 and out.count("--- sample ") == 2
    assert run_cli(capsys, "sample", "lstm_gan_text", "--count", "2", "--seed", "0")[1] == out  # seeded


# -- no traceback from any subcommand ---------------------------------------------------------------

def test_every_subcommand_fails_with_one_line(capsys, tmp_path, monkeypatch):
    image = tmp_path / "not-an-image.png"
    image.write_text("plain text")
    failures = {
        "info": ["info", "lstm_image_clasifier"],
        "sample": ["sample", NAME],  # a classifier draws no samples
        "predict": ["predict", NAME, str(image)],
        "train": ["train", NAME, "--smoke", "--images", str(tmp_path / "missing")],
        "evaluate": ["evaluate", NAME, "--data-dir", str(tmp_path), "--no-download"],
        "export": ["export", NAME, "--format", "onnx", "--version", "3"],
    }
    for command, argv in failures.items():
        try:
            code, _, err = run_cli(capsys, *argv)
        except SystemExit as e:  # a recipe's flag parser: usage and one error line, status 2
            code, err = e.code, capsys.readouterr().err.splitlines()[-1]
        assert one_line_error(code, err), (command, err)
    # `zoo list` with an unreadable card among the shipped models
    shutil_copy = tmp_path / "models" / NAME
    shutil_copy.mkdir(parents=True)
    (shutil_copy / cards.CARD).write_text("{ not json")
    monkeypatch.setenv("ZOO_SAVED_MODELS", str(tmp_path / "models"))
    code, _, err = run_cli(capsys, "list")
    assert one_line_error(code, err) and "model_card.json" in err, err


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(zoo, "info", broken)
    code, _, err = run_cli(capsys, "info", NAME)
    assert one_line_error(code, err), err
    assert f"zoo info {NAME}: error: unexpected RuntimeError: disk on fire" in err and "--debug" in err
    code, _, err = run_cli(capsys, "info", NAME, "--debug")
    assert code == 2 and "Traceback" in err and "disk on fire" in err


# -- 5. missing data offline: seconds, one line; a download says so ------------------------------

def test_evaluate_without_data_offline_fails_in_seconds_with_one_line(capsys, tmp_path):
    start = time.perf_counter()
    code, _, err = run_cli(capsys, "evaluate", NAME, "--data-dir", str(tmp_path), "--no-download")
    assert one_line_error(code, err) and str(tmp_path) in err and "downloads are off" in err, err
    assert time.perf_counter() - start < 60  # no retrying of a network


def test_a_download_is_announced_and_an_offline_one_fails_at_once(capsys, tmp_path, monkeypatch):
    from zoo import data

    monkeypatch.setattr(data, "_unreachable", lambda host: "no connection to storage.googleapis.com: test")
    code, _, err = run_cli(capsys, "evaluate", NAME, "--data-dir", str(tmp_path))
    assert one_line_error(code, err) and "cannot download it (no connection" in err, err
    announced = []
    monkeypatch.setattr(data, "_unreachable", lambda host: "")
    monkeypatch.setattr("tensorflow_datasets.core.DatasetBuilder.download_and_prepare",
                        lambda self, *a, **k: announced.append(self.name) or (_ for _ in ()).throw(OSError("cut")))
    code, _, err = run_cli(capsys, "evaluate", NAME, "--data-dir", str(tmp_path))
    assert announced == ["mnist"] and "downloading and preparing it" in err and "downloading it failed" in err


# -- 6. what `zoo list` and `zoo info` print is what ships ----------------------------------------

def test_list_and_info_show_the_shipped_model(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    for name in zoo.list_models():
        card = cards.read_card(cards.saved_models_dir() / name)
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert f"{card['num_params']:,}" in row, row
    dcgan = next(line for line in out.splitlines() if line.startswith("dcgan "))
    assert "2,680,165" in dcgan  # the shipped generator_width=96, not the default's 1,843,397
    record = zoo.info(NAME)
    assert record.num_params == cards.read_card(cards.saved_models_dir() / NAME)["num_params"]
    assert set(record.outputs["serving_default"]) == {"probabilities", "class_id", "class_name"}


@pytest.mark.parametrize("line", ["TFDS_DATA_DIR", "zoo sample dcgan"])
def test_readme_first_command_works_outside_this_project(line):
    """The first command needs no data (pretrained weights), and the training one says what to
    set on a machine without ../shared."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    first = readme[:readme.index("<!-- test-command -->")]
    assert line in first
