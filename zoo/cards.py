"""Model cards: the JSON record written beside a set of weights, saying what they reach and how
they were made (in the spirit of torchvision's weights metadata)."""

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from zoo import atomic, weights
from zoo.errors import WeightsError

CARD = "model_card.json"
WEIGHTS = "model.weights.h5"
CONFIG = "config.json"


def saved_models_dir():
    """The folder `weights="pretrained"` reads: $ZOO_SAVED_MODELS, else a source checkout's
    `saved_models/`, else the installed package's copy (`zoo.weights.shipped_root`)."""
    return weights.shipped_root()[0]


def read_card(folder):
    """The card in `folder` as a dict, or None when there is none."""
    path = Path(folder) / CARD
    if not path.exists():
        return None
    try:
        card = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise WeightsError(
            f"Model card {path} is unreadable ({e}). Re-create it by retraining "
            f"(`zoo train <name> --output {path.parent}`) or restore it from version control."
        ) from None
    if not isinstance(card, dict):
        raise WeightsError(f"Model card {path} should hold a JSON object, found {type(card).__name__}.")
    return card


def write_card(folder, card):
    atomic.write_json(Path(folder) / CARD, card)


def environment():
    """Versions and machine, for the card: enough to tell why two runs differ."""
    import keras
    import tensorflow as tf
    import tensorflow_datasets as tfds

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "tensorflow_datasets": tfds.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "gpus": len(tf.config.list_physical_devices("GPU")),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "source": source_revision(),
    }


def git(*args):
    """What `git <args>` prints in the zoo's source checkout, or None when there is none (an
    installed package) or git fails."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def source_revision():
    """The commit the zoo's code ran from, "+dirty" after it when `zoo/` or `recipes/` differ
    from that commit, or None outside a git checkout (an installed package)."""
    head = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "zoo", "recipes")
    if head is None or dirty is None:
        return None
    return head + ("+dirty" if dirty else "")
