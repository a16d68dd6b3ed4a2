"""Exceptions the zoo raises for a user's mistake.

Each message says what was wrong and what to do.
"""

import difflib


class ZooError(Exception):
    """Base class of the zoo's errors: a user's mistake, with a message that says what to do.

    The command line prints a `ZooError` as one message, without a traceback. Each subclass
    also derives from the built-in exception it refines (`KeyError`, `ValueError`, `OSError`,
    `RuntimeError`, `ArithmeticError`), so code that catches those keeps working.

    Examples:
        Catch any of the zoo's errors at once:

        >>> import zoo
        >>> try:
        ...     zoo.load("nope")
        ... except zoo.ZooError as e:
        ...     print(type(e).__name__)
        UnknownModelError
    """


class UnknownModelError(ZooError, KeyError):
    """A model name that is not in the registry.

    Raised by `zoo.load`, `zoo.info` and `zoo.registry.get_entry` (and the command line's
    `zoo <command> NAME`); the message suggests the closest registered name and lists them
    all. Also a `KeyError`, but printed without `KeyError`'s quotes around the message.

    Examples:
        >>> import zoo
        >>> zoo.load("dcgn")
        Traceback (most recent call last):
        ...
        zoo.errors.UnknownModelError: Unknown model 'dcgn'. Did you mean 'dcgan'? Available: ...
    """

    def __str__(self):  # KeyError would quote the whole message
        """The message itself (a plain `KeyError` would show it quoted).

        Returns:
            str: the first argument, the error's message.
        """
        return str(self.args[0])


class ConfigError(ZooError, ValueError):
    """A config override or flag that does not fit the model or recipe.

    Raised by `zoo.load` for an override that is not a config field of the model, has the
    wrong type, or fails the field's check (`FIELD_CHECKS`); by the recipes and the command
    line for a flag whose value no run could use; and by `zoo.export` for an unknown format or
    a version that cannot be written.

    Examples:
        >>> import zoo
        >>> zoo.load("dcgan", width=0)
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: dcgan config field 'width' must be at least 1, got 0.
    """


class WeightsError(ZooError, OSError):
    """Weights that are missing, unreadable, or built for another configuration.

    Raised by `zoo.load(name, weights=...)` when the weights file does not exist, does not
    match its model card's or the package manifest's checksum, or holds variables of other
    shapes than the configuration asked for (the message names the variable and both shapes).

    Examples:
        >>> import zoo
        >>> zoo.load("dcgan", weights="/nowhere/model.weights.h5")
        Traceback (most recent call last):
        ...
        zoo.errors.WeightsError: Weights file /nowhere/model.weights.h5 does not exist. ...
    """


class DataError(ZooError, RuntimeError):
    """A dataset that cannot be found, loaded or used by the model.

    Raised when a TFDS dataset is unknown or not prepared (and cannot be downloaded), when a
    folder of images or videos holds too few readable files or not the layout the model needs,
    and when an input file cannot be read or decoded (`zoo predict`).

    Examples:
        >>> from zoo.files import read_input
        >>> read_input(None, "no_such_image.png")
        Traceback (most recent call last):
        ...
        zoo.errors.DataError: no_such_image.png: no such file.
    """


class TrainingDiverged(ZooError, ArithmeticError):
    """A loss that became NaN or infinite: training stopped before anything was saved.

    Raised during `fit` by `zoo.training.callbacks.StopOnDivergence` (in every training loop)
    at the first batch whose logged losses are not finite; the checkpoint of the last
    completed epoch is kept.

    Examples:
        >>> import math
        >>> from zoo.training.callbacks import StopOnDivergence
        >>> StopOnDivergence("runs/x").on_train_batch_end(0, {"loss": math.nan})
        Traceback (most recent call last):
        ...
        zoo.errors.TrainingDiverged: Training diverged at epoch 1, batch 1: {'loss': nan}. ...
    """


def did_you_mean(word, choices):
    """A "Did you mean ...?" hint naming the closest of `choices` to `word`.

    The error messages of the zoo put it before the list of valid choices.

    Args:
        word: what the user typed (converted with `str`).
        choices: the valid names (any iterable of strings).

    Returns:
        str: `"Did you mean 'x'? "` (with a trailing space) for the closest choice, or `""`
            when none is close enough (`difflib.get_close_matches`, cutoff 0.6).

    Examples:
        >>> did_you_mean("dcgn", ["dcgan", "vae"])
        "Did you mean 'dcgan'? "
        >>> did_you_mean("xyz", ["dcgan", "vae"])
        ''
    """
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"Did you mean {close[0]!r}? " if close else ""
