"""Your own files: `--images DIR` for every image recipe and `--videos DIR` for cnn_lstm_video,
on folders this test writes (PNG and JPEG images of mixed sizes, GIF and MP4 videos, one corrupt
file each), trained with --smoke and loaded; and the bad folders, each refused with a one-line
error before anything is written."""

import json
import re
import shutil

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

import zoo
from zoo.data import folders
from zoo.errors import DataError
from conftest import params, refusal

# By default one recipe per image loader: `image_splits` (the classifier's; dcgan's and
# lstm_gan_image's are the same call) and `binarized_splits` (vae's; pixel_lstm inherits it),
# and a class-conditional generator, which takes its classes from the folder's sub-folders.
IMAGE_RECIPES = params(["lstm_image_classifier", "vae", "vae_conditional"],
                       slow=["dcgan", "pixel_lstm", "lstm_gan_image", "dcgan_conditional", "lstm_gan_image_conditional",
                             "pixel_lstm_conditional"])


def write_images(folder, classes=("bars", "dots", "rings"), per_class=12, corrupt=True):
    rng = np.random.default_rng(0)
    for c, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            size = (20, 20) if i % 2 else (36, 30)  # mixed sizes: resized
            image = (rng.random((*size, 3)) * 60).astype(np.uint8)
            image[:, 4 * c:4 * c + 3] = 255
            if i % 6 == 1:  # GIF and BMP too (TensorFlow decodes them as RGB only)
                PIL.Image.fromarray(image).save(folder / name / f"{i}.{'gif' if i % 4 == 1 else 'bmp'}")
            else:
                encoded = tf.io.encode_png(image) if i % 3 else tf.io.encode_jpeg(image)
                (folder / name / f"{i}.{'png' if i % 3 else 'jpg'}").write_bytes(encoded.numpy())
    if corrupt:
        (folder / classes[0] / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    return folder


def write_videos(folder, frames=8, per_class=4, corrupt=True):
    import av

    def write(path, clip, codec, pix_fmt):
        with av.open(str(path), "w") as out:
            stream = out.add_stream(codec, rate=10)
            stream.width, stream.height, stream.pix_fmt = clip.shape[2], clip.shape[1], pix_fmt
            for frame in clip:
                out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            out.mux(stream.encode())

    for c, name in enumerate(("left", "right")):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            clip = np.zeros((frames, 32 if i % 2 else 48, 48, 3), np.uint8)
            for t in range(frames):
                x = 3 * t if c == 0 else 44 - 3 * t
                clip[t, 8:16, x:x + 4] = 255
            if i % 2:
                write(folder / name / f"{i}.mp4", clip, "mpeg4", "yuv420p")
            else:
                write(folder / name / f"{i}.gif", clip, "gif", "rgb8")
    if corrupt:
        (folder / "left" / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video")
    return folder


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    return write_images(tmp_path_factory.mktemp("images"))


@pytest.mark.parametrize("name", IMAGE_RECIPES)
def test_image_recipe_trains_on_a_folder_and_loads(name, image_folder, tmp_path):
    output = tmp_path / "run"
    recipe = zoo.registry.get_entry(name).recipe()
    card = recipe.main(["--smoke", "--images", str(image_folder), "--validation-examples", "4",
                        "--max-train-examples", "24", "--output", str(output)])
    assert card["dataset"]["name"] == str(image_folder.resolve())
    assert card["dataset"]["skipped_files"] == 1
    assert card["dataset"]["image_shape"] == [28, 28, 1]
    assert card["dataset"]["test_examples"] + card["dataset"]["train_examples"] + 4 <= 36  # 36 readable files
    assert card["dataset"]["test_examples"] in (6, 7)  # 20 % of the 37 files, less the corrupt one if drawn
    model = zoo.load(name, weights=output)
    assert tuple(model.image_shape) == (28, 28, 1)
    if name == "lstm_image_classifier":
        assert model.class_names == ["bars", "dots", "rings"]
    if name.endswith("_conditional"):  # one class per sub-folder, each drawn on request
        assert model.num_classes == 3 and model.sample(2, seed=0, labels=[2, 0]).shape == (2, 28, 28, 1)


# A folder of 120 images with the defaults: --smoke and no --validation-examples (10 % of the 96
# training files held out), at the shipped shape and at others (two recipes by default).
SHAPES = params([("lstm_image_classifier", 28, 1), ("vae", 20, 3)],
                slow=[("lstm_image_classifier", 32, 3), ("dcgan", 32, 3), ("pixel_lstm", 32, 3),
                      ("lstm_gan_image", 20, 1), ("pixel_lstm", 20, 1)])


@pytest.fixture(scope="module")
def folder_of_120(tmp_path_factory):
    return write_images(tmp_path_factory.mktemp("images120"), per_class=40, corrupt=False)


@pytest.mark.parametrize("name, size, channels", SHAPES)
def test_smoke_trains_on_a_small_folder_with_the_defaults(name, size, channels, folder_of_120, tmp_path):
    output = tmp_path / "run"
    card = zoo.registry.get_entry(name).recipe().main(
        ["--smoke", "--images", str(folder_of_120), "--image-size", str(size), "--channels", str(channels),
         "--output", str(output)])
    held_out = 0 if name in ("dcgan", "lstm_gan_image") else 9  # a GAN holds none out
    assert card["dataset"]["validation_examples"] == held_out
    assert card["dataset"]["train_examples"] == 96 - held_out and card["dataset"]["test_examples"] == 24
    assert tuple(zoo.load(name, weights=output).image_shape) == (size, size, channels)


def test_folder_images_are_resized_converted_and_split_the_same_way(image_folder):
    first = folders.folder_image_splits(image_folder, (16, 16, 3), model_name="m", need_classes=True)
    again = folders.folder_image_splits(image_folder, (16, 16, 3), model_name="m", need_classes=True)
    images, labels = next(iter(first["test"].batch(100)))
    assert images.dtype == tf.uint8 and images.shape[1:] == (16, 16, 3)
    assert set(labels.numpy()) <= {0, 1, 2}
    assert np.array_equal(images.numpy(), next(iter(again["test"].batch(100)))[0].numpy())
    train = sum(1 for _ in first["train"])
    assert train + len(labels) == 36 and first["info"]["skipped_files"] == 1


def test_a_generator_takes_a_folder_of_images_alone(tmp_path):
    flat = tmp_path / "flat"
    write_images(tmp_path / "tmp", classes=("only",), corrupt=False)
    (tmp_path / "tmp" / "only").rename(flat)
    splits = folders.folder_image_splits(flat, (28, 28, 1), model_name="dcgan", need_classes=False)
    assert splits["info"]["class_names"] == ["flat"]
    with pytest.raises(DataError, match="lstm_image_classifier classifies, and .* has no class sub-folders"):
        folders.folder_image_splits(flat, (28, 28, 1), model_name="lstm_image_classifier", need_classes=True)


def bad_image_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    one = write_images(tmp_path / "one", classes=("bars",), corrupt=False)
    broken = tmp_path / "broken"
    for name in ("a", "b"):
        (broken / name).mkdir(parents=True)
        for i in range(5):
            (broken / name / f"{i}.png").write_bytes(b"not a png at all")
    few = write_images(tmp_path / "few", classes=("bars", "dots"), per_class=2, corrupt=False)
    return {
        "too few images": (few, r"holds 4 image\(s\): at least 5 are needed"),
        "empty folder": (empty, r"holds no images \(\.png, .*\), in it or in sub-folders: put them in one sub-folder "
                                r"per class"),
        "one class": (one, r"lstm_image_classifier classifies, and .* has one class \('bars'\): it needs one "
                           r"sub-folder of images per class, at least two"),
        "every file corrupt": (broken, r"No readable images left for the train split of .* \(10 could not be decoded"),
        "no such folder": (tmp_path / "missing", r"--images .*missing: no such folder"),
    }


@pytest.mark.parametrize("case", ["too few images", "empty folder", "one class", "every file corrupt",
                                  "no such folder"])
def test_bad_image_folders_get_one_line_and_nothing_written(case, tmp_path, capsys):
    folder, message = bad_image_folders(tmp_path)[case]
    output = tmp_path / "run"
    status, error = refusal(["train", "lstm_image_classifier", "--smoke", "--images", str(folder),
                             "--output", str(output)], capsys)
    assert status == 2 and re.search(message, error), error
    assert not output.exists()


def test_video_recipe_trains_on_a_folder_of_gif_and_mp4_and_loads(tmp_path):
    videos = write_videos(tmp_path / "videos")
    output = tmp_path / "run"
    recipe = zoo.registry.get_entry("cnn_lstm_video").recipe()
    card = recipe.main(["--smoke", "--videos", str(videos), "--clip-frames", "6", "--num-frames", "4",
                        "--frame-size", "32", "--baseline-epochs", "0", "--output", str(output)])
    assert card["dataset"]["name"] == str(videos.resolve())
    # No --validation-examples: 10 % of the 6 training videos (--smoke's 8 would leave none).
    assert card["dataset"]["train_examples"] == 6 and card["dataset"]["validation_examples"] == 0
    assert card["dataset"]["skipped_files"] == 1 and card["dataset"]["class_names"] == ["left", "right"]
    assert card["dataset"]["frame_shape"] == [32, 32, 1]
    model = zoo.load("cnn_lstm_video", weights=output)
    assert model.predict(np.zeros((1, 6, 32, 32, 1), np.uint8), verbose=0).shape == (1, 2)
    assert json.loads((output / "config.json").read_text())["class_names"] == ["left", "right"]


def test_videos_are_decoded_resized_and_grey(tmp_path):
    videos = write_videos(tmp_path / "videos", frames=5, per_class=2, corrupt=False)
    for path in sorted(videos.rglob("*.*")):
        frames = folders.read_video(path, 16)
        assert frames.shape == (5, 16, 16, 1) and frames.dtype == np.uint8, path
        assert frames.max() > 200 and frames.min() < 30, path  # the moving bar survives the codec


@pytest.mark.parametrize("case", ["short videos", "one class", "no such folder"])
def test_bad_video_folders_get_one_line_and_nothing_written(case, tmp_path, capsys):
    if case == "short videos":
        folder, message = write_videos(tmp_path / "v", frames=4, corrupt=False), (
            r"8 video\(s\) of .* have fewer frames than the 6 cnn_lstm_video reads per clip \(the shortest: .*, "
            r"4 frames\): lower --clip-frames, or remove them")
    elif case == "one class":
        folder = write_videos(tmp_path / "v", corrupt=False)
        shutil.rmtree(folder / "right")
        message = r"cnn_lstm_video classifies, and .* has one class \('left'\)"
    else:
        folder, message = tmp_path / "nothing", r"--videos .*nothing: no such folder"
    output = tmp_path / "run"
    status, error = refusal(["train", "cnn_lstm_video", "--smoke", "--videos", str(folder), "--clip-frames", "6",
                             "--num-frames", "4", "--output", str(output)], capsys)
    assert status == 2 and re.search(message, error), error
    assert not output.exists()
