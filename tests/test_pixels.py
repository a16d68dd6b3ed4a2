"""The pixel convention (docs: guides/python-api.md, "Pixels"), for every registered model (a new
model gets these for free): image-producing methods give uint8 images by default that save as
PNGs, floats in [0, 1] with `output="float"`, and a clear error for any other `output`; models
of single-channel images take them with or without the channel axis, in `predict`, `__call__`
and their public methods; exported image outputs are uint8."""

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import zoo
from zoo.models.base import ZooModel
from zoo.models.conditional import ClassConditional
from zoo.registry import get_entry

from conftest import SLOW_VARIANTS, params, tiny

NAMES = zoo.list_models()


def output_methods(cls):
    """The public methods of `cls` that take `output`: those that return images."""
    return sorted(name for name, fn in inspect.getmembers(cls, inspect.isfunction)
                  if not name.startswith("_") and not hasattr(ZooModel, name)
                  and "output" in inspect.signature(fn).parameters)


def image_batch_shape(model):
    """The shape of a batch of 2 raw images (clips: of 3 frames) for `model`, as its
    `serving_default` takes them; None for a model that takes no images."""
    spec = model.serving_signatures()["serving_default"][1][0]
    if spec.dtype != tf.uint8:
        return None
    return tuple(2 if i == 0 else (3 if d is None else d) for i, d in enumerate(spec.shape))


def raw_images(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype("uint8")


def latents(model):
    return np.random.default_rng(0).normal(size=(2, model.latent_dim)).astype("float32")


# How to call each image-producing method, and the shape of its answer: a model's new method
# with an `output` switch needs an entry here (test_image_methods_follow_the_convention fails
# without one).
IMAGE_METHODS = {
    "sample": lambda m: ((2,), {"seed": 0}, (2, *m.image_shape)),
    "generate": lambda m: ((latents(m),), {}, (2, *m.image_shape)),
    "decode": lambda m: ((latents(m),), {}, (2, *m.image_shape)),
    "decode_noise": lambda m: ((latents(m),), {}, (2, *m.image_shape)),
    "reconstruct": lambda m: ((raw_images(image_batch_shape(m)),), {}, (2, *m.image_shape)),
    "complete": lambda m: ((raw_images(image_batch_shape(m)), m.image_shape[0] // 2), {"seed": 0},
                           (2, *m.image_shape)),
    "predict_frames": lambda m: ((raw_images(image_batch_shape(m)), 2), {}, (2, 2, *m.frame_shape)),
}

CASES = [(name, method) for name in NAMES for method in output_methods(get_entry(name).cls)]


def test_every_image_generator_has_image_methods():
    """An image or video generator returns images through methods with the `output` switch."""
    for name in NAMES:
        task = get_entry(name).task
        if task.startswith(("image generation", "video generation")):
            assert output_methods(get_entry(name).cls), f"{name} has no method with output=..."


@pytest.mark.parametrize("name,method", CASES)
def test_image_methods_follow_the_convention(name, method, tmp_path):
    model = tiny(name)
    assert method in IMAGE_METHODS, f"add {name}.{method} to IMAGE_METHODS"
    args, kwargs, shape = IMAGE_METHODS[method](model)
    if isinstance(model, ClassConditional) and model.num_classes and method in ("reconstruct", "complete"):
        kwargs = {**kwargs, "labels": [0, 1]}  # a conditional model's images come with their classes
    fn = getattr(model, method)
    images = np.asarray(fn(*args, **kwargs))
    assert images.dtype == np.uint8 and images.shape == shape
    floats = np.asarray(fn(*args, **kwargs, output="float"))
    assert floats.dtype == np.float32 and floats.shape == shape
    assert 0 <= floats.min() and floats.max() <= 1
    np.testing.assert_array_equal(images, np.round(floats * 255).astype("uint8"))

    # What the issue met: a user's first move is to save one.
    image = images.reshape(-1, *images.shape[-3:])[0]
    keras.utils.save_img(tmp_path / "keras.png", image, scale=False)
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(tmp_path / "pil.png")
    for file in ("keras.png", "pil.png"):
        np.testing.assert_array_equal(np.array(Image.open(tmp_path / file)), image[..., 0])

    with pytest.raises(ValueError, match=r"output must be 'uint8' \(images, the default\) or 'float' "
                                         r"\(values in \[0, 1\]\), got 'png'"):
        fn(*args, **kwargs, output="png")


def test_pretrained_dcgan_samples_save_as_png(tmp_path):
    model = zoo.load("dcgan", weights="pretrained")
    images = model.sample(4, seed=0)
    assert images.dtype == tf.uint8 and images.shape == (4, 28, 28, 1)
    floats = np.asarray(model.sample(4, seed=0, output="float"))
    np.testing.assert_array_equal(np.asarray(images), np.round(floats * 255).astype("uint8"))
    keras.utils.save_img(tmp_path / "sample.png", images[0], scale=False)
    np.testing.assert_array_equal(np.array(Image.open(tmp_path / "sample.png")), np.asarray(images)[0, ..., 0])


# Public methods that take images, and their other arguments.
IMAGE_TAKERS = {"encode": (), "reconstruct": (), "log_prob": (), "complete": (14,), "predict_frames": (2,),
                "step_logits": (), "features_and_logits": ()}


def assert_same(a, b):
    for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
        np.testing.assert_allclose(np.asarray(x, np.float64), np.asarray(y, np.float64), atol=1e-5)


# The variants (conftest.SLOW_VARIANTS) take their images as their models do: with -m slow. So do
# pixel_lstm's images (6 s), which go through the same check (`ZooModel.expect_images`) as vae's
# in the default run.
PIXELS_SLOW = (*SLOW_VARIANTS, "pixel_lstm")
OWN_PIXELS = params([n for n in NAMES if n not in PIXELS_SLOW], slow=PIXELS_SLOW)


@pytest.mark.parametrize("name", OWN_PIXELS)
def test_single_channel_images_come_with_or_without_the_channel_axis(name):
    model = tiny(name)
    shape = image_batch_shape(model)
    if shape is None:
        pytest.skip(f"{name} takes no images")
    if isinstance(model, ClassConditional) and model.num_classes:
        pytest.skip(f"{name}'s call takes (images, labels): its unconditional model checks the same code's images")
    assert shape[-1] == 1  # every registered model of images takes single-channel ones
    with_axis = raw_images(shape)
    without = with_axis[..., 0]

    # predict: the rank changes between calls, which made Keras relax its traced function to
    # inputs of unknown rank.
    expected = model.predict(with_axis, verbose=0)
    assert_same(model.predict(without, verbose=0), expected)
    assert_same(model.predict(with_axis, verbose=0), expected)
    assert_same(model(without), model(with_axis))
    # Traced for inputs of unknown rank, as Keras relaxes a function: the shape is checked when
    # it runs. (convlstm_video is traced generating 2 frames: its rollout of 1 frame needs a
    # known batch size, a limit of its own.)
    call = (lambda x: model.predict_frames(x, 2, output="float")) if hasattr(model, "predict_frames") else model
    traced = tf.function(lambda x: call(x), input_signature=[tf.TensorSpec(None, tf.uint8)])
    assert_same(traced(without), call(with_axis))
    assert_same(traced(with_axis), call(with_axis))
    for method, args in IMAGE_TAKERS.items():
        if hasattr(model, method):
            kwargs = {"seed": 0} if method == "complete" else {}
            fn = getattr(model, method)
            assert_same(fn(without, *args, **kwargs), fn(with_axis, *args, **kwargs))

    # Other shapes are still refused, naming the shape expected.
    expected_text = r"must have shape \[batch, " + ("any, " if len(shape) == 5 else "")
    wrong = raw_images((*shape[:-2], shape[-2] + 1))  # one column too many
    with pytest.raises(ValueError, match=expected_text):
        model(wrong)
    with pytest.raises(ValueError, match=expected_text):
        model.predict(with_axis[0], verbose=0)  # one image (one clip) without its batch axis
    with pytest.raises(tf.errors.InvalidArgumentError, match=expected_text):
        traced(wrong)


def example_inputs(specs):
    """Valid inputs for a signature: raw images, latents, token ids, 2 for a count or a seed."""
    rng = np.random.default_rng(0)
    inputs = []
    for spec in specs:
        shape = [2 if i == 0 else (3 if d is None else d) for i, d in enumerate(spec.shape)]
        if spec.dtype == tf.string:
            value = np.full(shape, "", dtype="U1")
        elif spec.shape.rank == 0:
            value = np.array(2, spec.dtype.as_numpy_dtype)
        elif spec.dtype.is_integer:
            value = rng.integers(0, 256 if spec.dtype == tf.uint8 else 2, shape).astype(spec.dtype.as_numpy_dtype)
        else:
            value = rng.normal(size=shape).astype(spec.dtype.as_numpy_dtype)
        inputs.append(tf.constant(value))
    return inputs


@pytest.mark.parametrize("name", OWN_PIXELS)
def test_exported_image_outputs_are_uint8(name):
    """An exported output with image axes is uint8 (`images`; `reconstruction` and `frames`
    where an input is already named `images`, or for clips), or the float `probabilities` of
    the uint8 image beside it."""
    model = tiny(name)
    for endpoint, (fn, specs) in model.serving_signatures().items():
        outputs = tf.function(fn, input_signature=specs)(*example_inputs(specs))  # as an export traces it
        images = {k: v for k, v in outputs.items() if v.shape.rank >= 4 and k != "probabilities"}
        assert all(v.dtype == tf.uint8 for v in images.values()), (endpoint, images.keys())
        if "probabilities" in outputs and outputs["probabilities"].shape.rank >= 4:
            (rounded,) = images.values()
            expected = np.round(outputs["probabilities"].numpy() * 255).astype("uint8")
            np.testing.assert_array_equal(rounded.numpy(), expected)
