"""Loading datasets by TFDS name: errors that say where the data was looked for, other datasets
of the right kind through mocked TFDS data, and the pure data transforms."""

import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from hypothesis import given, settings
from hypothesis import strategies as st

import zoo
from zoo import data as zdata
from recipes.lstm_image_classifier.recipe import RECIPE as recipe


def test_unknown_dataset_suggests_a_name():
    with pytest.raises(zoo.DataError, match="Did you mean 'mnist'"):
        zdata.load_builder("mnistt")


def test_missing_data_offline_says_where_it_looked_and_what_to_do(tmp_path):
    with pytest.raises(zoo.DataError) as e:
        zdata.load_builder("mnist", data_dir=str(tmp_path), download=False)
    message = str(e.value)
    assert str(tmp_path) in message and "TFDS_DATA_DIR" in message and "tfds build mnist" in message


def test_data_dir_argument_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", "/from/env")
    assert zdata.resolve_data_dir(str(tmp_path)) == str(tmp_path)
    assert zdata.resolve_data_dir() == "/from/env"


def test_dataset_of_the_wrong_kind_is_refused_before_any_download(tmp_path):
    config = recipe.config(dataset="cifar10", data_dir=str(tmp_path), download=True)
    with pytest.raises(zoo.DataError, match=r"shape \(32, 32, 3\)"):
        recipe.load_data(config)  # cifar10 is not in tmp_path: a download would hang offline


def mock_metadata(folder, name, splits):
    """TFDS metadata for `name` (28×28 grey images, 10 classes) with the given split sizes,
    in the layout `tfds.testing.mock_data(data_dir=...)` reads."""
    version = folder / name / "3.0.1"
    version.mkdir(parents=True)
    info = {
        "name": name, "version": "3.0.1", "fileFormat": "tfrecord", "moduleName": "",
        "splits": [{"name": s, "shardLengths": [str(n)], "numBytes": "0"} for s, n in splits.items()],
        "supervisedKeys": {"tuple": {"items": [{"featureKey": "image"}, {"featureKey": "label"}]}},
    }
    (version / "dataset_info.json").write_text(json.dumps(info))
    features = tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(28, 28, 1)),
        "label": tfds.features.ClassLabel(names=[f"class {i}" for i in range(10)]),
    })
    features.save_config(str(version))


def test_recipe_trains_on_another_dataset_by_name(tmp_path):
    """fashion_mnist is not in the shared data: TFDS' mock data stands in for it."""
    mock_metadata(tmp_path / "tfds", "fashion_mnist", {"train": 96, "test": 64})
    with tfds.testing.mock_data(num_examples=96, data_dir=str(tmp_path / "tfds")):
        card = recipe.main(["--smoke", "--dataset", "fashion_mnist", "--validation-examples", "32",
                            "--data-dir", str(tmp_path / "tfds"), "--output", str(tmp_path / "out")])
    assert card["dataset"]["name"] == "fashion_mnist"
    assert card["dataset"]["train_examples"] == 64 and card["dataset"]["test_examples"] == 64
    assert 0 <= card["metrics"]["test_accuracy"] <= 1


def test_pipeline_order_is_seeded():
    ds = tf.data.Dataset.range(100)
    first = [b.numpy().tolist() for b in zdata.shuffled_batches(ds, 10, seed=3).dataset]
    again = [b.numpy().tolist() for b in zdata.shuffled_batches(ds, 10, seed=3).dataset]
    assert first == again and sorted(sum(first, [])) == list(range(100))
    assert first != [list(range(i, i + 10)) for i in range(0, 100, 10)]


@settings(max_examples=15, deadline=None)
@given(shift=st.integers(0, 3), seed=st.integers(0, 2**16), batch=st.integers(1, 4))
def test_random_shift_moves_whole_images_within_bounds(shift, seed, batch):
    """A digit inside a border of `shift` empty pixels is moved, never cut or changed."""
    rng = np.random.default_rng(seed)
    images = np.zeros((batch, 12, 10, 1), "uint8")
    images[:, shift:12 - shift, shift:10 - shift] = rng.integers(1, 256, (batch, 12 - 2 * shift, 10 - 2 * shift, 1))
    model = zoo.load("lstm_image_classifier", image_shape=(12, 10, 1), units=2, augment_shift=shift, seed=seed)
    moved = np.asarray(model._shifted(images))
    assert moved.shape == images.shape and moved.dtype == images.dtype
    np.testing.assert_array_equal(moved.astype(int).sum(axis=(1, 2, 3)), images.astype(int).sum(axis=(1, 2, 3)))
    np.testing.assert_array_equal(np.sort(moved.reshape(batch, -1)), np.sort(images.reshape(batch, -1)))
    if shift == 0:
        np.testing.assert_array_equal(moved, images)


@settings(max_examples=12, deadline=None)
@given(size=st.integers(1, 40), batch=st.integers(1, 9), last=st.integers(1, 5), data=st.data(),
       seed=st.integers(0, 2**16))
def test_resumed_epochs_see_the_batches_of_an_uninterrupted_run(size, batch, last, data, seed):
    """Epochs first … last − 1 from `.epochs(first, last)` are the batches a loop over the
    dataset once per epoch from epoch 0 sees (in a fresh pipeline, as after a restart)."""
    first = data.draw(st.integers(0, last - 1))
    examples = tf.data.Dataset.range(size)
    uninterrupted = zdata.shuffled_batches(examples, batch, seed=seed).dataset
    epochs = [[b.numpy().tolist() for b in uninterrupted] for _ in range(last)]
    resumed, steps = zdata.shuffled_batches(examples, batch, seed=seed).epochs(first, last)
    assert steps == -(-size // batch)
    assert [b.numpy().tolist() for b in resumed] == sum(epochs[first:], [])
