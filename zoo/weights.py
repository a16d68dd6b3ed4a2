"""The shipped weights: where `weights="pretrained"` finds them, and the manifest every load of
them is checked against.

The weights travel inside the package, as package data: a wheel holds `zoo/saved_models/<name>/`
(setup.cfg maps the checkout's top-level `saved_models/` there), so `pip install` of the wheel is
all a user needs, online or not, and the weights a version ships are the ones its code was
measured with. `zoo/weights_manifest.json`, inside the package too, holds each shipped file's size
and SHA-256; a pretrained load checks the files it reads against it, so a truncated or altered
file is refused with a message naming it, never loaded.

Where `pretrained` resolves, first match wins:

1. `$ZOO_SAVED_MODELS`: a folder of your own, one sub-folder per model (checked against each
   model card's weights checksum, as any folder `zoo train` writes);
2. the source checkout's `saved_models/`, when the zoo runs from one (an editable install);
3. the installed package's `zoo/saved_models/`.

Maintainers record a retrained model in the manifest with

    python -m zoo.weights --record        # rewrites zoo/weights_manifest.json
    python -m zoo.weights --check         # what a test runs: every shipped file matches

>>> from zoo import weights
>>> "lstm_image_classifier/model.weights.h5" in weights.manifest()["files"]
True
"""

import argparse
import functools
import hashlib
import importlib.resources
import json
import os
import sys
from pathlib import Path

from zoo import atomic
from zoo.errors import WeightsError

MANIFEST = Path(__file__).with_name("weights_manifest.json")
DISTRIBUTION = "lstm-gan-zoo"
# Folders shipped beside the registered models: the second judge of the sample measures.
EXTRA_FOLDERS = ("mnist_conv_judge",)

_CHECKOUT = Path(__file__).resolve().parent.parent


_digests = {}  # (path, size, mtime) → SHA-256: a file is hashed once per process until it changes


def file_sha256(path):
    """The SHA-256 of the file at `path`, as hex. Loading a shipped model checks its weights
    against both the package's manifest and its card: the second check reuses the first's hash."""
    stat = os.stat(path)
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def shipped_root():
    """(folder that `weights="pretrained"` reads, where it comes from: "env", "checkout" or
    "package")."""
    env = os.environ.get("ZOO_SAVED_MODELS")
    if env:
        return Path(env).expanduser(), "env"
    if (_CHECKOUT / "saved_models").is_dir() and (_CHECKOUT / "setup.cfg").is_file():
        return _CHECKOUT / "saved_models", "checkout"
    return Path(str(importlib.resources.files("zoo").joinpath("saved_models"))), "package"


@functools.cache
def manifest():
    """{"distribution", "files": {"<folder>/<file>": {"size", "sha256"}}} of the shipped files."""
    return json.loads(MANIFEST.read_text())


def shipped_folders():
    """The folders of saved_models/ that ship: one per registered model, and `EXTRA_FOLDERS`."""
    from zoo.registry import list_models

    return [*list_models(), *EXTRA_FOLDERS]


def verify(folder_name):
    """Checks every shipped file of `folder_name` (a model's name, or a judge's folder) against
    the manifest, where `pretrained` resolves to the checkout or the package; a WeightsError
    names the first file that is missing, truncated or altered, and what to do. Files under
    `$ZOO_SAVED_MODELS` are a user's own: their model card's checksum is what vouches for them."""
    root, source = shipped_root()
    if source == "env":
        return
    for relative, expected in manifest()["files"].items():
        if relative.split("/", 1)[0] == folder_name:
            _check_file(root / relative, relative, expected, source)


def _check_file(path, relative, expected, source):
    if source == "checkout":
        fix = (f"restore it (`git checkout -- saved_models/{relative}`), or, if you retrained it on purpose, "
               "record the new files with `python -m zoo.weights --record`")
    else:
        fix = (f"reinstall the package (`pip install --force-reinstall --no-deps {DISTRIBUTION}`), or set "
               "ZOO_SAVED_MODELS to a folder of weights of your own")
    if not path.is_file():
        raise WeightsError(f"Shipped file {path} is missing: {fix}.")
    size = path.stat().st_size
    if size != expected["size"]:
        raise WeightsError(f"Shipped file {path} has {size:,} bytes where the manifest ({MANIFEST.name}) "
                           f"records {expected['size']:,}: it is truncated or was replaced. To fix it, {fix}.")
    if file_sha256(path) != expected["sha256"]:
        raise WeightsError(f"Shipped file {path} does not match its SHA-256 in the manifest ({MANIFEST.name}): it "
                           f"is corrupt or was altered. To fix it, {fix}.")


def record(root):
    """The manifest of the shipped folders under `root` (every file directly in each)."""
    files = {}
    for name in shipped_folders():
        folder = root / name
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            files[f"{name}/{path.name}"] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    return {"distribution": DISTRIBUTION, "files": files}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m zoo.weights", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", action="store_true", help="rewrite the manifest from saved_models/")
    group.add_argument("--check", action="store_true", help="check every shipped file against the manifest")
    args = parser.parse_args(argv)
    root, source = shipped_root()
    present = record(root)
    if args.record:
        if source != "checkout":
            parser.error("--record runs in a source checkout (it writes zoo/weights_manifest.json).")
        atomic.write_json(MANIFEST, present)
        print(f"recorded {len(present['files'])} files of {root} in {MANIFEST}")
        return 0
    recorded = manifest()["files"]
    problems = [f"{name}: not in the manifest" for name in sorted(set(present["files"]) - set(recorded))]
    for name in shipped_folders():
        try:
            verify(name)  # the files' hashes were taken by record(): cached, not read again
        except WeightsError as e:
            problems.append(str(e))
    for line in problems:
        print(line, file=sys.stderr)
    print(f"{len(recorded) - len(problems)} of {len(recorded)} shipped files match the manifest ({root})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
