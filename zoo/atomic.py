"""Write-then-rename, so that a crash or a kill never leaves a half-written file behind."""

import contextlib
import json
import os
import shutil
from pathlib import Path


@contextlib.contextmanager
def atomic_path(final):
    """Yields a temporary path beside `final`; moves it over `final` only if the block succeeds.

    The temporary name keeps `final`'s name as its suffix (Keras insists on `.weights.h5`)
    and starts with a dot, so TF Serving and `git status` ignore it.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".tmp-{os.getpid()}-{final.name}")
    _remove(tmp)
    try:
        yield tmp
        if final.is_dir() and not final.is_symlink():
            # A folder cannot be replaced in one step: move the old one aside first.
            old = final.with_name(f".old-{os.getpid()}-{final.name}")
            os.replace(final, old)
            os.replace(tmp, final)
            _remove(old)
        else:
            os.replace(tmp, final)
    finally:
        _remove(tmp)


def write_text(path, text):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def _remove(path):
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()
