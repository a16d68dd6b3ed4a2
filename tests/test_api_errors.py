"""The Python API's answers to misuse: each error names what was wrong and what to do."""

import json
import re
import shutil

import pytest

import zoo
from zoo import cards


def test_list_models_lists_the_registered_models():
    assert "lstm_image_classifier" in zoo.list_models()
    assert zoo.list_models() == sorted(zoo.list_models())


def test_unknown_name_suggests_closest_and_lists_all():
    with pytest.raises(zoo.UnknownModelError) as e:
        zoo.load("lstm_image_clasifier")
    assert "Did you mean 'lstm_image_classifier'?" in str(e.value)
    assert "Available: " in str(e.value)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"unitz": 64}, "no config field 'unitz'. Did you mean 'units'?"),
        ({"units": "64"}, "'units' must be int"),
        ({"units": True}, "'units' must be int"),
        ({"dropout": "high"}, "'dropout' must be float or int"),
        ({"bidirectional": 1}, "'bidirectional' must be bool"),
    ],
)
def test_bad_override_names_the_field(overrides, expected):
    with pytest.raises(zoo.ConfigError, match="Valid fields|must be") as e:
        zoo.load("lstm_image_classifier", **overrides)
    assert expected in str(e.value)


def test_override_changes_the_model():
    model = zoo.load("lstm_image_classifier", units=8, bidirectional=False)
    assert model.units == 8 and model.count_params() < 2000


def test_missing_weights_folder_says_how_to_make_them(tmp_path):
    with pytest.raises(zoo.WeightsError, match="zoo train lstm_image_classifier"):
        zoo.load("lstm_image_classifier", weights=tmp_path / "nowhere")


def test_missing_pretrained_says_how_to_make_them(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_SAVED_MODELS", str(tmp_path))
    with pytest.raises(zoo.WeightsError, match="zoo train lstm_image_classifier"):
        zoo.load("lstm_image_classifier", weights="pretrained")


def test_weights_argument_of_the_wrong_kind(tmp_path):
    with pytest.raises(zoo.WeightsError, match="neither 'pretrained'"):
        zoo.load("lstm_image_classifier", weights=tmp_path / "model.bin")
    with pytest.raises(zoo.WeightsError, match='weights="pretrained"'):
        zoo.load("lstm_image_classifier", weights=True)


@pytest.fixture
def trained_copy(smoke_run, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(smoke_run["lstm_image_classifier"][0], folder)
    return folder


def test_load_from_a_trained_folder_uses_its_config(trained_copy, smoke_run):
    model = zoo.load("lstm_image_classifier", weights=trained_copy)
    assert model.units == smoke_run["lstm_image_classifier"][1]["model_config"]["units"]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_weights_name_the_file(trained_copy, damage):
    weights = trained_copy / cards.WEIGHTS
    if damage == "garbage":
        weights.write_bytes(b"not an hdf5 file" * 100)
    else:
        weights.write_bytes(weights.read_bytes()[:5000])
    (trained_copy / cards.CARD).unlink()  # without the card's checksum, h5 reading must fail clearly
    with pytest.raises(zoo.WeightsError) as e:
        zoo.load("lstm_image_classifier", weights=trained_copy)
    assert str(weights) in str(e.value) and "zoo train" in str(e.value)


def test_weights_that_do_not_match_their_card_are_refused(trained_copy):
    weights = trained_copy / cards.WEIGHTS
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(zoo.WeightsError, match="checksum"):
        zoo.load("lstm_image_classifier", weights=trained_copy)


def test_weights_of_another_configuration_name_the_field(trained_copy, smoke_run):
    trained_units = smoke_run["lstm_image_classifier"][1]["model_config"]["units"]
    with pytest.raises(zoo.WeightsError) as e:
        zoo.load("lstm_image_classifier", weights=trained_copy, units=trained_units * 2)
    assert f"units={trained_units}" in str(e.value)


def test_corrupt_model_card_names_the_file(trained_copy):
    (trained_copy / cards.CARD).write_text("{ not json")
    with pytest.raises(zoo.WeightsError, match="model_card.json"):
        zoo.load("lstm_image_classifier", weights=trained_copy)


def test_info_reads_metrics_from_the_shipped_card():
    record = zoo.info("lstm_image_classifier")
    card = cards.read_card(cards.saved_models_dir() / "lstm_image_classifier")
    assert record.metrics == (card or {}).get("metrics", {})
    assert record.inputs["serving_default"] == {"images": "uint8[batch, 28, 28, 1]"}
    assert set(record.outputs["serving_default"]) >= {"probabilities", "class_id"}
    json.loads(str(record))


def test_weights_file_of_another_configuration_names_the_variable_and_both_shapes(tmp_path):
    """A bare `.weights.h5` (no config.json beside it) saved from another configuration."""
    zoo.load("lstm_image_classifier", units=16).save_weights(tmp_path / "other.weights.h5")
    with pytest.raises(zoo.WeightsError) as e:
        zoo.load("lstm_image_classifier", units=32, weights=tmp_path / "other.weights.h5")
    message = str(e.value)
    assert re.search(r"variable \S*lstm\S* has shape \(28, 128\) in this model but \(28, 64\) in the file", message), message
    assert "other.weights.h5" in message and "zoo train" in message


@pytest.fixture(scope="module")
def small_text_gan():
    return zoo.load("lstm_gan_text", vocabulary=list("abc"), embedding_dim=4, hidden_dim=4, discriminator_dim=4)


@pytest.mark.parametrize("call, expected", [
    (lambda gan: gan.sample(2, temperature=0), "temperature must be positive, got 0."),
    (lambda gan: gan.generate_text(2, temperature=-1.0), "temperature must be positive, got -1.0."),
    (lambda gan: gan.token_nll([[0, 1]], temperature=0.0), "temperature must be positive, got 0.0."),
    (lambda gan: gan.decode([0, 7]), r"token ids must be in \[0, 3\) \(the vocabulary's size\), got 0 … 7."),
], ids=["sample", "generate_text", "token_nll", "decode"])
def test_text_gan_methods_name_a_bad_argument(small_text_gan, call, expected):
    with pytest.raises(zoo.ConfigError, match=expected):
        call(small_text_gan)


def test_text_gan_scores_a_list_of_token_lists(small_text_gan):
    assert tuple(small_text_gan.token_nll([[0, 1, 2]]).shape) == (1, 3)


@pytest.mark.parametrize("name, overrides, expected", [
    ("vae", {"width": 1}, "'width' must be at least 2, got 1"),
    ("lstm_image_classifier", {"num_classes": 0}, "'num_classes' must be at least 2, got 0"),
    ("cnn_lstm_video", {"num_classes": 1}, "'num_classes' must be at least 2, got 1"),
])
def test_fields_keras_would_refuse_are_refused_first(name, overrides, expected):
    with pytest.raises(zoo.ConfigError, match=expected):
        zoo.load(name, **overrides)


@pytest.mark.parametrize("argument", ["samples", "chunk"])
def test_vae_importance_sampling_needs_a_sample(argument):
    import numpy as np

    vae = zoo.load("vae", latent_dim=2)
    with pytest.raises(zoo.ConfigError, match=f"{argument} must be at least 1, got 0"):
        vae.importance_sampled_nll(np.zeros((1, 28, 28, 1), "uint8"), **{argument: 0})


def test_a_refused_export_version_leaves_no_folder(tmp_path):
    with pytest.raises(zoo.ConfigError, match="positive integer"):
        zoo.export(zoo.load("dcgan", latent_dim=4, width=4), tmp_path / "serving", version=0)
    assert not (tmp_path / "serving").exists()


@pytest.mark.parametrize("name, overrides, field", [
    ("dcgan", {"image_shape": (30, 30, 1)}, "image_shape"),
    ("lstm_image_classifier", {"image_shape": (28, 28)}, "image_shape"),
    ("cnn_lstm_video", {"frame_shape": (63, 64, 1)}, "frame_shape"),
    ("convlstm_video", {"frame_shape": (0, 64, 1)}, "frame_shape"),
])
def test_a_bad_shape_names_its_own_field(name, overrides, field):
    with pytest.raises(zoo.ConfigError, match=f"^{field} must be \\(height, width, channels\\)"):
        zoo.load(name, **overrides)
