"""Fashion-MNIST-like images for an offline machine: 28×28 grey silhouettes of the ten
Fashion-MNIST classes, light on black, each drawn at a random size, position, angle and shade,
some with a printed stripe pattern, with pixel noise; and folders of them as PNGs, one
sub-folder per class, as `zoo train --images` reads them."""

import math
import shutil

import numpy as np

CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")

# Silhouettes on a 56×56 canvas (drawn at twice the size, then averaged down to 28×28):
# polygons, and for some classes dark details drawn over them (a coat's opening, a shirt's
# collar and buttons) or extra parts (a bag's handle, a sandal's straps).
_BODY = {
    "t-shirt": [(22, 8), (14, 10), (5, 20), (11, 26), (17, 21), (17, 48), (39, 48), (39, 21), (45, 26), (51, 20),
                (42, 10), (34, 8), (28, 13)],
    "pullover": [(22, 8), (14, 10), (7, 44), (13, 46), (17, 23), (17, 48), (39, 48), (39, 23), (43, 46), (49, 44),
                 (42, 10), (34, 8), (28, 12)],
    "coat": [(22, 6), (13, 9), (6, 48), (12, 50), (16, 24), (15, 52), (41, 52), (40, 24), (44, 50), (50, 48),
             (43, 9), (34, 6), (28, 10)],
    "shirt": [(23, 8), (15, 10), (8, 42), (13, 44), (18, 23), (18, 49), (38, 49), (38, 23), (43, 44), (48, 42),
              (41, 10), (33, 8), (28, 14)],
    "dress": [(22, 5), (34, 5), (35, 20), (47, 51), (9, 51), (21, 20)],
    "sneaker": [(5, 45), (51, 45), (51, 37), (38, 32), (28, 24), (15, 26), (8, 33)],
    "ankle boot": [(16, 7), (31, 7), (31, 31), (48, 37), (51, 48), (14, 48)],
    "bag": [(9, 22), (47, 22), (49, 50), (7, 50)],
    "trouser": [(17, 5), (39, 5), (40, 51), (31, 51), (28, 17), (25, 51), (16, 51)],
    "sandal": [(6, 41), (51, 41), (51, 46), (6, 46)],
}


def draw_garment(kind, rng):
    """One 28×28 uint8 grey image of `kind` (one of `CLASSES`), drawn with `rng`'s draws."""
    from PIL import Image, ImageDraw

    shade = int(rng.integers(90, 256))
    canvas = Image.new("L", (56, 56), 0)
    pen = ImageDraw.Draw(canvas)
    # Every garment its own cut: each corner of the silhouette moved by up to 3 of 56 pixels.
    pen.polygon([(x + rng.uniform(-3, 3), y + rng.uniform(-3, 3)) for x, y in _BODY[kind]], fill=shade)
    dark = int(shade * rng.uniform(0.2, 0.5))
    if kind == "coat":
        pen.line([(28, 10), (28, 52)], fill=dark, width=2)
        pen.polygon([(22, 6), (28, 18), (34, 6)], fill=dark)
    elif kind == "shirt":
        pen.polygon([(23, 8), (28, 16), (33, 8)], fill=dark)
        for y in range(20, 48, 7):
            pen.ellipse([(27, y), (29, y + 2)], fill=dark)
    elif kind == "bag":
        pen.arc([(16, 6), (40, 34)], 180, 360, fill=shade, width=4)
    elif kind == "sandal":
        for x in (10, 22, 34):
            pen.line([(x, 41), (x + 8, 27)], fill=shade, width=3)
        pen.line([(14, 30), (46, 30)], fill=shade, width=2)
    elif kind == "sneaker":
        pen.line([(5, 41), (51, 41)], fill=dark, width=2)
    if rng.random() < 0.4:  # a printed pattern: stripes across the garment
        pixels = np.asarray(canvas).astype(np.float32)
        period = int(rng.integers(4, 9))
        stripes = (np.arange(56)[:, None] // (period // 2 + 1)) % 2
        pixels *= np.where(stripes, 1.0, rng.uniform(0.4, 0.8))
        canvas = Image.fromarray(pixels.astype(np.uint8))
    scale_x, scale_y = rng.uniform(0.7, 1.1), rng.uniform(0.75, 1.05)
    angle = math.radians(rng.uniform(-10, 10))
    dx, dy = rng.uniform(-4, 4, size=2)
    # The inverse map PIL's affine transform takes (output pixel → input pixel, about the
    # centre): the inverse of scaling, then rotating, then shifting by (dx, dy).
    cos, sin = math.cos(angle), math.sin(angle)
    a, b, d, e = cos / scale_x, sin / scale_x, -sin / scale_y, cos / scale_y
    centre = 28.0
    matrix = (a, b, centre - a * (centre + dx) - b * (centre + dy), d, e, centre - d * (centre + dx) - e * (centre + dy))
    canvas = canvas.transform((56, 56), Image.AFFINE, matrix, resample=Image.BILINEAR)
    image = np.asarray(canvas.resize((28, 28), Image.BOX), np.float32)
    image += rng.normal(0, 16, image.shape) * (image > 0)  # fabric texture, on the garment only
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def garments(per_class, seed):
    """(uint8 images [per_class × 10, 28, 28], int labels) drawn with `seed`, classes interleaved."""
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(len(CLASSES)), per_class)
    return np.stack([draw_garment(CLASSES[label], rng) for label in labels]), labels


def folder_name(label):
    """A class's sub-folder: numbered, so the folder's sorted classes are `CLASSES` in order."""
    return f"{label}_{CLASSES[label].replace(' ', '_')}"


def write_folder(folder, per_class, seed):
    """A folder of `per_class` PNGs per garment class (one sub-folder each); returns it."""
    from PIL import Image

    images, labels = garments(per_class, seed)
    shutil.rmtree(folder, ignore_errors=True)
    for label in range(len(CLASSES)):
        (folder / folder_name(label)).mkdir(parents=True)
    for i, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image).save(folder / folder_name(label) / f"{i:05d}.png")
    return folder
