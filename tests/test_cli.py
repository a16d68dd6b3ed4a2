"""The `zoo` command line."""

import json
import re
import subprocess
import sys

import pytest

from zoo import cli


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "zoo", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for command in ("list", "info", "train", "prepare", "evaluate", "export"):
        assert command in result.stdout


def test_list_shows_every_model_with_its_shipped_metric(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split() == ["name", "task", "dataset", "parameters", "shipped", "metric"]
    assert any(row.startswith("lstm_image_classifier") and "test_accuracy" in row for row in rows)


def test_info_prints_the_record_as_json(capsys):
    code, out, _ = run_cli(capsys, "info", "lstm_image_classifier")
    assert code == 0
    record = json.loads(out)
    assert record["inputs"]["serving_default"]["images"] == "uint8[batch, 28, 28, 1]"


def test_unknown_model_is_one_clear_line(capsys):
    code, out, err = run_cli(capsys, "info", "lstm_image_clasifier")
    assert code == 2 and "Did you mean 'lstm_image_classifier'?" in err and "Traceback" not in err


def test_train_help_is_the_recipes(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "lstm_image_classifier", "--help"])
    assert e.value.code == 0
    assert "--augment-shift" in capsys.readouterr().out


def test_train_flags_are_taken_whole_not_abbreviated(capsys):
    """`--bench oracle` once ran the plain text recipe: argparse expanded it to --benchmark, but
    the dispatch to the oracle benchmark, which reads the command line first, did not."""
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "lstm_gan_text", "--bench", "oracle"])
    assert e.value.code == 2 and "unrecognized arguments: --bench oracle" in capsys.readouterr().err


def test_train_rejects_bad_values_before_work(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "lstm_image_classifier", "--epochs", "0"])
    assert e.value.code == 2 and "--epochs must be at least 1" in capsys.readouterr().err


def test_prepare_readies_what_train_reads_with_its_flags(capsys):
    code, out, _ = run_cli(capsys, "prepare", "lstm_image_classifier", "--max-train-examples", "512")
    assert code == 0 and re.search(r"lstm_image_classifier: mnist is ready \(512 train examples", out), out
    code, _, err = run_cli(capsys, "prepare", "lstm_image_clasifier")
    assert code == 2 and "Did you mean 'lstm_image_classifier'?" in err


def test_evaluate_record_writes_metrics_into_the_card(capsys, smoke_run, tmp_path):
    import shutil

    folder = tmp_path / "vae"
    shutil.copytree(smoke_run["vae"][0], folder)
    card = json.loads((folder / "model_card.json").read_text())
    code, out, _ = run_cli(capsys, "evaluate", "vae", "--weights", str(folder), "--nll-samples", "7", "--record")
    assert code == 0 and "recorded in" in out
    updated = json.loads((folder / "model_card.json").read_text())
    assert updated["metrics"]["nll_samples"] == 7 and updated["weights_sha256"] == card["weights_sha256"]
    assert updated["recorded_by"]["tensorflow"] and updated["metrics"]["test_nll"] != card["metrics"]["test_nll"]


def test_evaluate_rejects_settings_the_model_does_not_take(capsys, smoke_run):
    code, _, err = run_cli(capsys, "evaluate", "lstm_image_classifier", "--weights",
                           str(smoke_run["lstm_image_classifier"][0]), "--nll-samples", "7")
    assert code == 2 and "does not take '--nll-samples'" in err


def test_evaluate_and_export_a_trained_folder(capsys, smoke_run, tmp_path):
    folder, card = smoke_run["lstm_image_classifier"]
    code, out, _ = run_cli(capsys, "evaluate", "lstm_image_classifier", "--weights", str(folder),
                           "--max-examples", str(card["dataset"]["test_examples"]))
    assert code == 0
    assert json.loads(out)["metrics"]["test_accuracy"] == pytest.approx(card["metrics"]["test_accuracy"], abs=1e-5)
    for version in ("1", "2"):  # a new export adds a version beside the last
        code, out, _ = run_cli(capsys, "export", "lstm_image_classifier", "--weights", str(folder),
                               "--output", str(tmp_path / "serving"))
        assert code == 0 and (tmp_path / "serving" / version / "saved_model.pb").exists()
    show = subprocess.run([sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show",
                           "--dir", str(tmp_path / "serving" / "1"), "--all"],
                          capture_output=True, text=True, timeout=120)
    assert show.returncode == 0, show.stderr[-2000:]
    assert "signature_def['serving_default']" in show.stdout
    assert "images" in show.stdout and "probabilities" in show.stdout and "class_id" in show.stdout


WRONG_KIND = {  # a real TFDS dataset that is not the kind of data the model reads
    "dcgan": ("cifar10", r"shape \(32, 32, 3\)"),
    "vae": ("cifar10", r"shape \(32, 32, 3\)"),
    "lstm_image_classifier": ("cifar10", r"shape \(32, 32, 3\)"),
    "cnn_lstm_video": ("mnist", "video"),
    "lstm_gan_text": ("mnist", "text"),
}


@pytest.mark.parametrize("name", sorted(WRONG_KIND))
@pytest.mark.parametrize("case", ["unknown dataset", "wrong kind", "offline, data missing"])
def test_train_with_unusable_data_stops_before_training_with_one_line(name, case, capsys, tmp_path):
    """Each of these stops before any training, with exit code 2, one line that says what to
    do and no traceback; nothing is written where the model would go."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    argv = ["train", name, "--smoke", "--output", str(tmp_path / "out")]
    if case == "unknown dataset":
        argv += ["--dataset", "no_such_dataset"]
        expected = "Unknown TFDS dataset 'no_such_dataset'"
    elif case == "wrong kind":
        dataset, expected = WRONG_KIND[name]
        argv += ["--dataset", dataset, "--data-dir", str(empty)]  # refused before TFDS would download it
    else:
        argv += ["--data-dir", str(empty), "--no-download"]
        if name == "cnn_lstm_video":  # its clips are generated from MNIST, which is missing too
            argv += ["--generated-data-dir", str(tmp_path / "generated")]
        expected = str(empty)
    code, out, err = run_cli(capsys, *argv)
    assert code == 2, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert re.search(expected, err), err
    assert not (tmp_path / "out" / "model.weights.h5").exists()
