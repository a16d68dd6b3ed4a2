"""Where `zoo train` writes: a run folder of the user's by default, never the shipped models
unless asked, and one run at a time in a folder.

    runs/<name>/<date-time>/      the default, under the working directory

A folder that already holds a trained model (its `model_card.json`) is written again only with
`--overwrite`; that is also the only way into the folder `weights="pretrained"` reads. While a run
writes a folder it holds a lock on it (`.lock`, an OS lock that dies with the process, so a killed
run leaves nothing to clean up): a second run into the same folder is refused, naming the first.
"""

import contextlib
import datetime
import json
import os
import sys
from pathlib import Path

from zoo import cards
from zoo.errors import ConfigError

RUNS = Path("runs")
LOCK = ".lock"


def new_folder(name, now=None):
    """runs/<name>/<date-time>/ (a suffix where a run of the same second has it)."""
    stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    folder = RUNS / name / stamp
    n = 1
    while folder.exists():
        n += 1
        folder = RUNS / name / f"{stamp}-{n}"
    return folder


def default_output(name, run=None):
    """Where a run of `name` goes when no --output is given: the newest folder in runs/<name>/
    that a kill interrupted (a checkpoint and no model card yet) with these settings (`run`, as
    `zoo.recipe.run_settings` gives them), so that the same command again resumes it as before;
    else a new runs/<name>/<date-time>/."""
    base = RUNS / name
    if run is not None and base.is_dir():
        run = json.loads(json.dumps(run, default=str))
        for folder in sorted((f for f in base.iterdir() if f.is_dir()), reverse=True):
            if (folder / cards.CARD).exists() or holder(folder) is not None:
                continue
            if _checkpoint_settings(folder) == run:
                return folder
    return new_folder(name)


def _checkpoint_settings(folder):
    """The settings recorded beside the newest checkpoint in `folder`/.backup, or None."""
    newest = sorted(((int(p.name.removeprefix("epoch-")), p) for p in (folder / ".backup").glob("epoch-*")
                     if p.name.removeprefix("epoch-").isdigit() and (p / "run.json").is_file()), reverse=True)
    if not newest:
        return None
    try:
        return json.loads((newest[0][1] / "run.json").read_text())
    except (OSError, ValueError):
        return None


def check_overwrite(folder, overwrite, name):
    """A ConfigError when `folder` holds a trained model and `overwrite` is off."""
    card_file = Path(folder) / cards.CARD
    if overwrite or not card_file.exists():
        return
    shipped = Path(folder).resolve() == (cards.saved_models_dir() / name).resolve()
    what = "the shipped weights that weights=\"pretrained\" loads" if shipped else "a trained model"
    raise ConfigError(f"{folder} already holds {what} ({cards.CARD}). Pass --overwrite to replace it, or choose "
                      "another --output (by default each run gets its own folder in runs/).")


def holder(folder):
    """A description of the process that holds `folder`'s lock ("pid 123: zoo train ..."), or
    None when no running process holds it."""
    path = Path(folder) / LOCK
    if not path.exists():
        return None
    try:
        with open(path, "a+") as f:
            return None if _try_lock(f) else _who(f)
    except OSError:
        return None


@contextlib.contextmanager
def locked(folder):
    """Holds `folder`'s lock for the block: a ConfigError naming the running process if another
    run holds it. The OS releases the lock when the process ends, however it ends."""
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    f = open(path, "a+")
    try:
        if not _try_lock(f):
            raise ConfigError(f"{folder} is being written by another run ({_who(f)}). Wait for it to finish, or "
                              "choose another --output.")
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}: {' '.join(sys.argv)}")
        f.flush()
        yield folder
    finally:
        with contextlib.suppress(OSError):
            if _held(f):
                path.unlink(missing_ok=True)
                if created:
                    folder.rmdir()  # only if empty: a run refused before it wrote anything leaves no folder
        f.close()


def _who(f):
    """What the lock file `f` says of the process that holds it."""
    f.seek(0)
    return f.read().strip() or "another process"


def _try_lock(f):
    try:
        import fcntl
    except ImportError:  # not a POSIX system: runs are not locked there
        return True
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    f._zoo_locked = True
    return True


def _held(f):
    return getattr(f, "_zoo_locked", False)
