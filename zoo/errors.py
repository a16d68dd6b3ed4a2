"""Exceptions the zoo raises for a user's mistake: each message says what was wrong and what to do."""

import difflib


class ZooError(Exception):
    """Base class: the command line prints these as one message, without a traceback."""


class UnknownModelError(ZooError, KeyError):
    def __str__(self):  # KeyError would quote the whole message
        return str(self.args[0])


class ConfigError(ZooError, ValueError):
    """A config override or flag that does not fit the model or recipe."""


class WeightsError(ZooError, OSError):
    """Weights that are missing, unreadable, or built for another configuration."""


class DataError(ZooError, RuntimeError):
    """A dataset that cannot be found, loaded or used by the model."""


class TrainingDiverged(ZooError, ArithmeticError):
    """A loss that became NaN or infinite: training stopped before anything was saved."""


def did_you_mean(word, choices):
    """'Did you mean 'x'? ' for the closest of `choices`, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"Did you mean {close[0]!r}? " if close else ""
