"""Pictures a person looks at: image grids, training curves, confusion matrices, clip strips.
Each is written atomically (a kill never leaves half a PNG)."""

import matplotlib

matplotlib.use("Agg")  # files only, never a window: training runs on machines without a screen

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo import atomic  # noqa: E402


def fixed_noise(seed, latent_dim, n=100):
    """The latent points of a generator's sample grids: the same for every epoch's picture, so
    the grids show one set of samples improving."""
    return np.random.default_rng(seed).normal(size=(n, latent_dim)).astype("float32")


def image_grid(images, columns=10):
    """Images [n, h, w, c] with values in [0, 1] (or uint8) → one [rows·(h+2), columns·(w+2), c]
    array in [0, 1], the images side by side on a white background."""
    images = np.asarray(images, np.float32)
    images = images / 255.0 if images.max() > 1.0 else images
    n, h, w, c = images.shape
    rows = -(-n // columns)
    grid = np.ones((rows * (h + 2), columns * (w + 2), c), np.float32)
    for i, image in enumerate(images):
        r, k = divmod(i, columns)
        grid[r * (h + 2) + 1:r * (h + 2) + 1 + h, k * (w + 2) + 1:k * (w + 2) + 1 + w] = image
    return grid


def save_image_grid(images, path, columns=10, title=None):
    """Images [n, h, w, 1 or 3] with values in [0, 1] (or uint8) → one PNG grid, atomically."""
    grid = image_grid(images, columns)
    rows, c = grid.shape[0] // (np.shape(images)[1] + 2), grid.shape[-1]
    fig = plt.figure(figsize=(columns * 0.6, rows * 0.6 + (0.3 if title else 0)))
    plt.imshow(grid[..., 0] if c == 1 else grid, cmap="gray" if c == 1 else None, vmin=0, vmax=1)
    plt.axis("off")
    if title:
        plt.title(title, fontsize=9)
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def plot_curves(epochs, path, title=""):
    """One panel per metric, training and validation side by side, against the epoch."""
    names = [k for k in (epochs[0] if epochs else {}) if k not in ("epoch", "seconds") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, max(len(names), 1), figsize=(4.5 * max(len(names), 1), 3.5), squeeze=False)
    x = [r["epoch"] + 1 for r in epochs]
    for ax, metric in zip(axes[0], names):
        ax.plot(x, [r[metric] for r in epochs], marker=".", label="train")
        if f"val_{metric}" in epochs[0]:
            ax.plot(x, [r[f"val_{metric}"] for r in epochs], marker=".", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)


def save_confusion_matrix(labels, predictions, class_names, path, title=""):
    """Row-normalised confusion matrix (true class down, predicted across) as a PNG, atomically."""
    n = len(class_names)
    counts = np.zeros((n, n), np.int64)
    np.add.at(counts, (np.asarray(labels, np.int64), np.asarray(predictions, np.int64)), 1)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.22 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(rates, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names, rotation=90, fontsize=6 if n > 20 else 9)
    ax.set_yticks(range(n), class_names, fontsize=6 if n > 20 else 9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.04, label="fraction of the true class")
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return counts


def save_clip_strip(videos, titles, path, max_frames=10):
    """Clips [n, frames, h, w, c] (uint8) as one row of frames each, titled, as a PNG, atomically."""
    videos = np.asarray(videos)
    n, frames = videos.shape[:2]
    shown = min(frames, max_frames)
    fig, axes = plt.subplots(n, shown, figsize=(1.1 * shown, 1.25 * n), squeeze=False)
    for row, (video, title) in enumerate(zip(videos, titles)):
        for t in range(shown):
            ax = axes[row][t]
            frame = video[t]
            ax.imshow(frame[..., 0] if frame.shape[-1] == 1 else frame, cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if t == 0:
                ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
            if row == 0:
                ax.set_title(f"t={t}", fontsize=8)
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def save_piano_rolls(rows, path, pitch_low=36, title=None):
    """Piano rolls side by side, one row of panels per set: {row title: rolls [n, steps,
    pitches] of 0 and 1}, pitch upwards and time to the right, bar lines every 16 steps → one
    PNG, atomically."""
    rows = {name: np.asarray(rolls) for name, rolls in rows.items()}
    columns = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(len(rows), columns, figsize=(2.2 * columns, 1.6 * len(rows) + (0.3 if title else 0)),
                             squeeze=False)
    for axes_row, (name, rolls) in zip(axes, rows.items()):
        for k, ax in enumerate(axes_row):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= len(rolls):
                ax.axis("off")
                continue
            roll = rolls[k]
            ax.imshow(roll.T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
            for bar in range(16, roll.shape[0], 16):
                ax.axvline(bar - 0.5, color="tab:blue", lw=0.5, alpha=0.5)
            if k == 0:
                ax.set_ylabel(f"{name}\n(MIDI {pitch_low}–{pitch_low + roll.shape[1] - 1})", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
