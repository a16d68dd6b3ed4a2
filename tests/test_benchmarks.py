"""The benchmark's FLOP count on cases with a known answer (the benchmark itself is not a
test: its figures are read, not asserted)."""

import json

import keras
import pytest
import tensorflow as tf

import zoo
from benchmarks import flops, run

from conftest import params


def test_a_matrix_product_counts_two_flops_per_multiply_add():
    f = tf.function(lambda a, b: tf.matmul(a, b)).get_concrete_function(
        tf.TensorSpec((8, 16)), tf.TensorSpec((16, 4)))
    assert flops.graph_flops(f) == 2 * 8 * 16 * 4


def test_an_unrolled_lstm_counts_every_time_step_and_a_loop_is_refused():
    batch, steps, features, units = 4, 7, 5, 6
    model = keras.Sequential([keras.Input((steps, features)), keras.layers.LSTM(units)])
    spec = tf.TensorSpec((batch, steps, features))
    with pytest.raises(ValueError, match="while loops"):
        flops.graph_flops(tf.function(lambda x: model(x)).get_concrete_function(spec))
    with flops.unrolled(model) as lstms:
        assert len(lstms) == 1 and lstms[0].unroll
        counted = flops.graph_flops(tf.function(lambda x: model(x)).get_concrete_function(spec))
    assert not model.layers[0].unroll  # restored
    products = batch * steps * 2 * 4 * units * (features + units)  # the gates' matrix products
    assert products <= counted <= 1.3 * products  # plus the gates' element-wise maths


# lstm_gan_image's plain version is dcgan's plain GAN on other networks, and the plain versions of
# cnn_lstm_video and lstm_gan_text (a recurrent layer after a frame encoder, a two-phase GAN) are
# built as the others are: with -m slow. So is vae's (10 s), a custom loss in a plain train_step
# as dcgan's is.
@pytest.mark.parametrize("name", params(["dcgan", "lstm_image_classifier"],
                                         slow=["vae", "lstm_gan_image", "cnn_lstm_video", "lstm_gan_text"]))
def test_each_model_has_a_plain_keras_version_that_trains(name, smoke_run):
    """The yardstick must run: one fit step on a real batch of the recipe's smoke pipeline."""
    import numpy as np

    import zoo
    from zoo.registry import get_entry

    from benchmarks import plain

    recipe = get_entry(name).recipe()
    config = recipe.config(**recipe.smoke)
    data = recipe.load_data(config)
    model = zoo.load(name, weights=smoke_run[name][0])
    batch = next(iter(data.train.dataset))
    version, element = plain.plain_version(name, model, batch)
    history = version.fit(tf.data.Dataset.from_tensors(element), epochs=1, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    trainable = sum(int(np.prod(w.shape)) for w in version.trainable_weights)
    assert 0 < trainable <= sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_the_table_names_every_figure():
    result = {"model": "m", "batch_size": 8, "precision": "float32", "train_real": 90.0, "train_synthetic": 100.0,
              "pipeline_ratio": 0.9, "flops_per_example": 2e6, "mfu": 0.5, "train_synthetic_other_xla": None,
              "train_plain": 125.0, "unrolled_default": True, "train_synthetic_other_unroll": 70.0,
              "recurrent": [{"layer": "a", "kind": "LSTM", "cudnn": True},
                            {"layer": "b", "kind": "LSTM", "cudnn": False, "why": "unrolled"}],
              "serve_b1_p50_ms": 1.0, "serve_b1_p99_ms": 2.0, "serve_b64_p50_ms": 3.0, "serve_b64_p99_ms": 4.0,
              "sample_b1_per_s": 12.34, "sample_b64_per_s": 250.0, "peak_memory_mb": 500.0,
              "memory_after_mb": {"train": 400.0}, "peak_memory_other_xla_mb": 900.0, "flops_note": "note"}
    text = run.table([result, {"model": "broken", "error": "boom"}], {"float32": 100.0},
                     {"cpu": "cpu", "cpu_count": 2, "gpus": [], "tensorflow": tf.__version__})
    assert ("| `m` (**stale**: measured before rows recorded their commit) | 8 | float32 | 90 | 100 | 90% | 2.0 | "
            "50% | 125 | 80% | – / **100** | **100** / 70 | 1 of 2 |") in text  # XLA on: not measured
    assert "| 3.0 / 4.0 | 12.3 / 250 | 400 / 500 / 900 |" in text  # serving at batch 64, sampling, memory
    assert "| fails / **100** |" in run.table([{**result, "xla_error": "boom"}], {"float32": 100.0},
                                              {"cpu": "cpu", "cpu_count": 2, "gpus": [], "tensorflow": "2"})
    assert "failed: `boom`" in text and "- `m`: note" in text
    header, rule, row = text.splitlines()[2:5]
    assert header.count("|") == rule.count("|") == row.count("|") == text.splitlines()[5].count("|")  # failed row too


def test_a_row_is_stale_once_its_model_changed():
    import subprocess

    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=run.HERE).stdout.strip()
    first = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], capture_output=True, text=True,
                           cwd=run.HERE).stdout.split()[0]
    assert run.stale({"model": "vae", "source": head}) is None
    assert "zoo/models/vae.py" in run.stale({"model": "vae", "source": first})  # written since the first commit
    assert run.stale({"model": "gone", "source": head}) == "no longer a registered model"
    assert run.stale({"model": "vae"}) == "measured before rows recorded their commit"


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_recipe_answers_what_the_benchmark_asks_of_it(name):
    # benchmarks.run reads these of every recipe; the recipe-contract refactor once dropped them
    # from the base class, and the benchmark failed for all but one model.
    from zoo.registry import get_entry

    recipe = get_entry(name).recipe()
    assert isinstance(recipe.jit_compile(recipe.config()), bool)
    assert isinstance(recipe.benchmark_note, str)


def test_a_run_past_its_time_limit_writes_the_rows_it_did_not_measure(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "matmul_roof", lambda dtype: 1.0)  # the roof is not what is tested
    results = run.main(["--models", "vae", "--time-limit", "0", "--output", str(tmp_path / "r")])
    assert "not measured: the run's --time-limit of 0 s was spent" in results[0]["error"]
    assert "not measured" in (tmp_path / "r.md").read_text() and (tmp_path / "r.json").exists()


def test_the_gpu_script_refuses_a_machine_with_no_gpu():
    import subprocess
    import sys

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU: the script would run the benchmark")
    done = subprocess.run(["bash", str(run.HERE / "gpu.sh")], capture_output=True, text=True,
                          env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0 and "TensorFlow sees no GPU here" in done.stderr


def test_which_recurrent_layers_take_cudnn_is_read_from_their_settings():
    from benchmarks.recurrent import recurrent_layers

    text = recurrent_layers(zoo.load("lstm_gan_text", sequence_length=8, hidden_dim=8, discriminator_dim=8))
    assert text and all(r["cudnn"] for r in text)  # Keras LSTMs as they come
    image = recurrent_layers(zoo.load("lstm_gan_image", latent_dim=4, units=8, d_units=8))
    assert image and not any(r["cudnn"] for r in image)
    assert any("spectrally normalised" in r["why"] for r in image)
    assert any("unrolled in keras.layers.RNN" in r["why"] for r in image)
    assert recurrent_layers(zoo.load("lstm_image_classifier", units=8))[0]["why"] == "unrolled"
    assert "unrolled" not in str(recurrent_layers(zoo.load("lstm_image_classifier", units=8, unroll=False)))


def test_the_memory_table_holds_each_run_to_the_limit():
    from benchmarks import memory

    argv = memory.command("lstm_gan_text", 512, "out")
    assert argv[3:6] == ["train", "lstm_gan_text", "--epochs"] and "--max-train-sequences" in argv
    assert "--max-train-examples" in memory.command("vae", 512, "out")
    text = memory.table([{"model": "a", "command": "zoo train a", "seconds": 10.0, "peak_memory_mb": 4000.0},
                         {"model": "b", "command": "zoo train b", "seconds": 10.0, "peak_memory_mb": 4100.0}])
    assert "| `a` | 4000 | yes | 10 |" in text and "| `b` | 4100 | **no** | 10 |" in text


def test_paired_rounds_time_both_steps_in_alternating_order(monkeypatch):
    from benchmarks import paired

    order = []
    monkeypatch.setattr(paired, "train_throughput", lambda network, *a: order.append(type(network).__name__) or 100.0)
    result = paired.measure("vae", rounds=2, steps=2, warmup=2)
    assert result["ratios"] == [1.0, 1.0] and order == ["VAE", "_PlainVAE", "_PlainVAE", "VAE"]


def test_the_benchmark_helpers_examples_hold():
    # setup.cfg's testpaths collect the doctests of benchmarks/recurrent.py only
    import doctest

    from benchmarks import plain, processes

    for module in (plain, processes):
        outcome = doctest.testmod(module)
        assert outcome.attempted and not outcome.failed, module.__name__


def test_paired_prints_one_line_per_model_as_each_ends(monkeypatch, capsys):
    from benchmarks import paired

    done = {"dcgan": {"model": "dcgan", "ratios": [0.99, 1.01, 1.0]}, "vae": {"model": "vae", "error": "boom"}}
    monkeypatch.setattr(paired, "measured_in_subprocess", lambda module, name, flags: done[name])
    assert paired.main(["--models", "dcgan,vae"]) == [done["dcgan"], done["vae"]]
    assert capsys.readouterr().out.splitlines() == [
        "dcgan: zoo ÷ plain median 1.000, range 0.990–1.010 over 3 paired rounds (0.990, 1.010, 1.000)",
        "vae: failed: boom"]


def test_the_cells_benchmark_gives_each_run_its_flags_and_tables_the_finished_runs(tmp_path):
    """`python -m benchmarks.cells` trains through the recipes (the slow part is theirs, tested
    there): here, that each row's flags parse into the run it means, and that finished run
    folders become the table's lines."""
    from benchmarks import cells
    from zoo.registry import get_entry

    argv = cells.flags(cells.ROWS["sequential_mnist"], "gru", 1, tmp_path / "run")
    config = get_entry("lstm_image_classifier").recipe().parse(argv)
    assert (config.cell, config.pixels_per_step, config.bidirectional, config.unroll, config.epochs, config.seed) == (
        "gru", 4, False, False, 8, 1)
    assert get_entry("lstm_image_classifier").recipe().parse(
        cells.flags(cells.ROWS["sequential_mnist_equal_params"], "rnn", 0, tmp_path / "r")).units == 257
    assert "pixel_mnist" in cells.ROWS and "pixel_mnist" not in cells.DEFAULT_ROWS  # an extra row: trained when named

    folder = cells.run_folder(tmp_path, "row_mnist", "rnn", 0)
    folder.mkdir(parents=True)
    (folder / "model_card.json").write_text(json.dumps({
        "metrics": {"test_accuracy": 0.9}, "num_params": 1234, "training_seconds": 20.0,
        "dataset": {"train_examples": 1000}, "history": [{"seconds": 10.0}, {"seconds": 10.0}]}))
    (folder / cells.GRADIENTS).write_text(json.dumps({"0": {"first": 1e-3, "last": 1.0, "median": 0.1},
                                                      "2": {"first": 1e-2, "last": 1.0, "median": 0.1}}))
    assert cells.result(tmp_path, "row_mnist", "lstm", 0) is None  # not trained yet
    table = cells.table([cells.result(tmp_path, "row_mnist", "rnn", 0)])
    assert "| MNIST, a row per step (28 steps), 6 epochs | rnn | 1,234 | 0.9000 (1 seed) | 100 | 1.0e-03 → 1.0e-02 |" in table
    # Over seeds: the accuracies' mean ± sd, and the fastest run's speed (the least disturbed).
    slower = {**cells.result(tmp_path, "row_mnist", "rnn", 0), "seed": 1, "metric": [0.8], "examples_per_second": 50}
    assert "| 0.8500 ± 0.0707 (2 seeds) | 100 |" in cells.table([slower, cells.result(tmp_path, "row_mnist", "rnn", 0)])
    # The README's summary: a column per cell, a row only where a run finished.
    summary = cells.summary([cells.result(tmp_path, "row_mnist", "rnn", 0)]).splitlines()
    assert summary[2] == "| MNIST, a row per step (28 steps), 6 epochs | – | – | 90.00 % (1,234 params, 1 seed) |"
    assert len(summary) == 3
    # The table's training time: each run once (the equal-parameter row's LSTM is a copy of
    # sequential_mnist's), in wall time and at each run's median epoch.
    run = {**cells.result(tmp_path, "row_mnist", "rnn", 0), "training_seconds": 3600.0, "epoch_seconds": [900.0] * 2}
    copy = {**run, "row": "sequential_mnist_equal_params", "cell": "lstm"}
    assert cells.training_time([run, {**run, "row": "sequential_mnist", "cell": "lstm"}, copy]) == (2.0, 1.0, 2)

    # A run that trains several model seeds itself (the oracle benchmark) gives their spread.
    oracle = cells.run_folder(tmp_path, "text_gan_oracle", "gru", 0)
    oracle.mkdir(parents=True)
    (oracle / "model_card.json").write_text(json.dumps({
        "table": {"mle": {"nll_oracle_per_token": 9.5, "nll_oracle_per_token_sd": 0.02},
                  "adversarial": {"nll_oracle_per_token": 9.25, "nll_oracle_per_token_sd": 0.04}},
        "metrics": {"seeds": 3}, "dataset": {}}))
    line = cells.summary([cells.result(tmp_path, "text_gan_oracle", "gru", 0)]).splitlines()[2]
    assert line.endswith("| – | 9.500 ± 0.020 → 9.250 ± 0.040 (3 model seeds) | – |"), line

    # The equal-parameter row's LSTM has sequential_mnist's settings: that finished run is reused.
    assert cells.same_run(tmp_path, "sequential_mnist_equal_params", "lstm", 0) is None
    (cells.run_folder(tmp_path, "sequential_mnist", "lstm", 0)).mkdir(parents=True)
    (cells.run_folder(tmp_path, "sequential_mnist", "lstm", 0) / "model_card.json").write_text("{}")
    assert cells.same_run(tmp_path, "sequential_mnist_equal_params", "lstm", 0) == cells.run_folder(
        tmp_path, "sequential_mnist", "lstm", 0)
    (cells.run_folder(tmp_path, "sequential_mnist", "gru", 0)).mkdir(parents=True)
    (cells.run_folder(tmp_path, "sequential_mnist", "gru", 0) / "model_card.json").write_text("{}")
    assert cells.same_run(tmp_path, "sequential_mnist_equal_params", "gru", 0) is None  # 148 units, not 128
    left = cells.run_folder(tmp_path, "sequential_mnist_equal_params", "lstm", 0)
    (left / ".backup").mkdir(parents=True)  # a killed attempt's leftovers go
    cells.copy_run(cells.run_folder(tmp_path, "sequential_mnist", "lstm", 0), left)
    assert sorted(p.name for p in left.parent.iterdir()) == ["lstm-seed0"] and [p.name for p in left.iterdir()] == [
        "model_card.json"]


def test_the_temperature_table_bolds_each_judges_closest_temperature_and_refuses_a_model_without_one(capsys):
    from benchmarks import temperature

    def measured(fd, fd_conv):
        return {"quality_samples": 10, "frechet_distance": fd, "frechet_distance_conv": fd_conv,
                "classifier_score_ratio": 0.9, "classifier_score_ratio_conv": 0.8}

    text = temperature.table("vae", {0.9: measured(0.5, 6.0), 1.0: measured(0.7, 5.0)})
    assert "| 0.9 | **0.500** / 6.000 | 0.9000 / 0.8000 |" in text
    assert "| 1.0 | 0.700 / **5.000** |" in text and "drawn as asked" not in text  # unconditional: no such column
    guided = temperature.table("pixel_lstm_conditional", {(1.0, 0.0): measured(0.5, 6.0), (1.0, 2.0): measured(0.7, 5.0)})
    assert "| τ | w | Fréchet distance |" in guided and "| 1.0 | 2.0 | 0.700 / **5.000** |" in guided
    with pytest.raises(SystemExit):
        temperature.main(["--model", "vae_conditional", "--guidance", "1"])
    assert "vae_conditional has no guidance" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # an unconditional pixel model cannot be guided: refused before measuring
        temperature.main(["--model", "pixel_lstm", "--guidance", "0,1", "--samples", "10"])
    assert "guidance is for a class-conditional model" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # another model's table would take the shipped one's place in the docs
        temperature.main(["--weights", "runs/mine"])
    assert "--weights other than the shipped ones needs --output" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        temperature.main(["--model", "dcgan"])
    assert "dcgan has no sample_temperature" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        temperature.main(["--temperatures", "0.9,x"])
    assert "--temperatures must be positive numbers separated by commas (e.g. 0.9,1.0), got '0.9,x'" in \
        capsys.readouterr().err
