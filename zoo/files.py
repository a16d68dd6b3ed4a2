"""Models on files, for `zoo sample` and `zoo predict`: generated images written as PNG files (one
per image, or one grid), and image or video files read as a classifier's raw input.

>>> import numpy as np, tempfile
>>> from zoo import files
>>> folder = tempfile.mkdtemp()
>>> [p.name for p in files.write_images(np.zeros((2, 28, 28, 1), "uint8"), folder, prefix="x")]
['x-000.png', 'x-001.png']
"""

from pathlib import Path

import numpy as np

from zoo import atomic
from zoo.data.folders import as_uint8, read_video
from zoo.errors import DataError


def write_images(images, output, prefix="sample"):
    """Writes uint8 images [n, h, w, 1 or 3] as PNG files: `output/<prefix>-000.png`, ..., or one
    grid when `output` ends in `.png`. Returns the paths written."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 pixels (the zoo's convention), got {images.dtype}.")
    output = Path(output)
    if output.suffix.lower() == ".png":
        from zoo.plots import image_grid

        _write_png(np.round(image_grid(images, columns=min(len(images), 8)) * 255.0).astype(np.uint8), output)
        return [output]
    paths = [output / f"{prefix}-{i:03d}.png" for i in range(len(images))]
    for image, path in zip(images, paths):
        _write_png(image, path)
    return paths


def _write_png(image, path):
    import keras

    with atomic.atomic_path(path) as tmp:
        keras.utils.save_img(str(tmp), image, file_format="png", scale=False)


def classify(model, paths):
    """[(path, class name or id, probability)] of a classifier's answer for each file."""
    rows = []
    names = model.class_names  # None where the model knows only class ids
    for path in paths:
        probabilities = np.asarray(model.predict(read_input(model, path)[None], verbose=0))[0]
        best = int(np.argmax(probabilities))
        rows.append((str(path), names[best] if names else str(best), float(probabilities[best])))
    return rows


def read_input(model, path):
    """A file as `model`'s raw uint8 input: an image decoded and resized to its `image_shape`, or,
    for a video model (`frame_shape`), every frame of a video resized to it."""
    import tensorflow as tf

    if not Path(path).is_file():
        raise DataError(f"{path}: no such file.")
    if hasattr(model, "frame_shape"):
        try:
            return read_video(path, model.frame_shape[0], model.frame_shape[2])
        except DataError:
            raise
        except Exception as e:  # noqa: BLE001  any decoder failure: not a readable video
            raise DataError(f"{path} is not a video that can be decoded ({type(e).__name__}).") from None
    height, width, channels = model.image_shape
    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    except tf.errors.OpError:
        raise DataError(f"{path} is not an image that can be decoded (PNG, JPEG, GIF or BMP).") from None
    return as_uint8(tf.image.resize(image, (height, width)), channels).numpy()  # as a folder's images are read
