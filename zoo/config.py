"""Settings, each declared once: a dataclass field with its help text and its check, from which
the command-line flags, the validation and the model card's record of a run are all derived.

A recipe's flags are its settings dataclass plus the trained model's own constructor fields
(`model_fields`): a model setting is declared by the model (its default, its `Args:` line,
its `FIELD_CHECKS` entry) and nowhere else; a recipe only states where its defaults differ.

>>> from zoo.config import at_least
>>> at_least(1)(0)
'must be at least 1'
>>> at_least(1)(3) is None
True
"""

import argparse
import dataclasses
import functools
import inspect
import re
import types
import typing
from pathlib import Path

from zoo.errors import ConfigError


def option(default, help, check=None):
    """A settings field with its explanation (also its `--help` text) and its check: a function
    of the value that returns what is wrong with it ("must be at least 1"), or None. A list
    default (a flag such as `--seeds 0,1,2`) is copied for each instance."""
    metadata = {"help": help, "check": check}
    if isinstance(default, (list, tuple)):
        return dataclasses.field(default_factory=functools.partial(list, default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


# -- checks: value → what is wrong with it, or None ------------------------------------------

def at_least(low):
    return lambda value: None if value >= low else f"must be at least {low}"


def positive(value):
    return "must be positive" if not value > 0 else "must be finite" if value == float("inf") else None


def non_negative(value):
    """[0, inf): a weight that 0 turns off."""
    return "must be at least 0" if not value >= 0 else "must be finite" if value == float("inf") else None


def in_unit_interval(value):
    """[0, 1): a rate, a decay, a dropout."""
    return None if 0 <= value < 1 else "must be in [0, 1)"


def below(high):
    """[0, high)."""
    return lambda value: None if 0 <= value < high else f"must be in [0, {high})"


def optional(rule):
    """`rule`, with None allowed (a setting whose default depends on others)."""
    return lambda value: None if value is None else rule(value)


def one_of(*choices):
    return lambda value: None if value in choices else f"must be one of {', '.join(map(str, choices))}"


def positive_integers(value):
    ok = isinstance(value, (list, tuple)) and value and all(isinstance(v, int) and v >= 1 for v in value)
    return None if ok else "must be positive integers separated by commas (e.g. 16,32,64)"


def existing_file(value):
    return None if value is None or Path(value).is_file() else "is not a file"


def existing_folder(value):
    return None if value is None or Path(value).is_dir() else "is not a folder"


def check(label, value, rule):
    """Raises ConfigError("<label> <what is wrong>, got <value>.") when `rule` finds fault."""
    problem = rule(value) if rule is not None else None
    if problem:
        raise ConfigError(f"{label} {problem}, got {value!r}.")


def check_fields(cls, values, label=str):
    """Applies `cls.FIELD_CHECKS` (a model's {field: check}) to the fields present in `values`;
    `label(field)` names a field in the message (a flag for a recipe, the field for `zoo.load`).
    The one place a model's argument values are checked, for every entry point: a model with a
    `_check_field_combination(fields, label)` also has its fields (`values` over its defaults)
    checked against each other there, so that a run refuses them before loading any data."""
    for name, rule in cls.FIELD_CHECKS.items():
        if name in values and values[name] is not None:
            check(label(name), values[name], rule)
    combination = getattr(cls, "_check_field_combination", None)  # fields that must agree with each other
    if combination is not None:
        combination({**constructor_defaults(cls), **{k: v for k, v in values.items() if v is not None}}, label)


def flag(name):
    return "--" + name.replace("_", "-")


# -- model fields as settings ------------------------------------------------------------------

def model_fields(model_cls, defaults=None, exclude=()):
    """[(name, type, dataclasses.field)] for the constructor fields of `model_cls` that a recipe
    exposes as flags: those with a typed default, less `exclude` (fields the recipe derives from
    its data) and `seed` (the run's --seed). `defaults` overrides the model's defaults; the help
    text is the field's line in the class docstring's `Args:` section."""
    defaults = defaults or {}
    unknown = set(defaults) - set(constructor_defaults(model_cls))
    if unknown:
        raise TypeError(f"{model_cls.__name__} has no fields {sorted(unknown)}.")
    docs = argument_docs(model_cls)
    fields = []
    for name, default in constructor_defaults(model_cls).items():
        if name in exclude or name == "seed" or default is None:
            continue
        default = defaults.get(name, default)
        kind = list if isinstance(default, (list, tuple)) else type(default)
        metadata = {"help": docs.get(name, ""), "model": True}
        value = dataclasses.field(default_factory=functools.partial(list, default), metadata=metadata) \
            if kind is list else dataclasses.field(default=default, metadata=metadata)
        fields.append((name, kind, value))
    return fields


def constructor_defaults(model_cls):
    """The constructor's keyword defaults: every field `zoo.load` accepts as an override."""
    params = inspect.signature(model_cls.__init__).parameters.values()
    return {p.name: p.default for p in params
            if p.default is not inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD}


def with_defaults(**defaults):
    """Class decorator: the class's constructor is its base's, with other defaults. A registered
    variant of a model (`dcgan_conditional`: `dcgan` with `num_classes=10`) is then a subclass
    of two lines whose default configuration (`constructor_defaults`) is the base's but these.

    >>> class Base:
    ...     def __init__(self, size=1, classes=0):
    ...         self.size, self.classes = size, classes
    >>> @with_defaults(classes=10)
    ... class Variant(Base):
    ...     pass
    >>> constructor_defaults(Variant), Variant(size=2).classes, Variant(classes=3).classes
    ({'size': 1, 'classes': 10}, 10, 3)
    """
    def decorate(cls):
        base_init = cls.__mro__[1].__init__
        signature = inspect.signature(base_init)
        unknown = set(defaults) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{cls.__mro__[1].__name__} has no fields {sorted(unknown)}.")
        signature = signature.replace(parameters=[p.replace(default=defaults[p.name]) if p.name in defaults else p
                                                  for p in signature.parameters.values()])

        def __init__(self, *args, **kwargs):
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            base_init(*bound.args, **bound.kwargs)

        __init__.__signature__ = signature
        __init__.__doc__ = base_init.__doc__
        cls.__init__ = __init__
        return cls
    return decorate


def argument_docs(cls):
    """{argument: its description} from the `Args:` sections of the docstrings of `cls` and its
    bases: the nearest class that documents an argument wins, so a subclass repeats only what
    it says differently (`DCGAN` inherits `ImageGAN`'s lines).

    >>> class Base:
    ...     '''A base.
    ...
    ...     Args:
    ...         size: how big.
    ...         seed: the seed.
    ...     '''
    >>> class Child(Base):
    ...     '''A child.
    ...
    ...     Args:
    ...         size: how big, in pixels.
    ...     '''
    >>> argument_docs(Child)
    {'size': 'how big, in pixels.', 'seed': 'the seed.'}
    """
    docs = {}
    # Keras' own classes are left out: their `Args:` (name, dtype, trainable) are not settings.
    for klass in (k for k in cls.__mro__ if not k.__module__.startswith(("keras", "tensorflow"))):
        for name, text in _own_argument_docs(klass).items():
            docs.setdefault(name, text)
    return docs


def _own_argument_docs(cls):
    """{argument: its description} from the `Args:` section of `cls`'s own docstring."""
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
    section = doc.split("Args:", 1)[1] if "Args:" in doc else ""
    docs, names = {}, []
    for line in section.splitlines():
        found = re.match(r"^    (\w+(?:, \w+)*): (.*)$", line)  # "a: ..." or "a, b: ..."
        if found:
            names = found.group(1).split(", ")
            for name in names:
                docs[name] = found.group(2).strip()
        elif names and line.startswith("        "):
            for name in names:
                docs[name] += " " + line.strip()
        elif line.strip() and not line.startswith(" "):
            break  # the next section
    return docs


# -- command line --------------------------------------------------------------------------------

def parse(config_cls, argv=None, smoke=None, prog=None, description=None, validate=None, defaults=None):
    """Command-line flags → a validated `config_cls` instance. `--smoke` applies the `smoke`
    overrides to every field not given on the command line; `defaults(given)`, where given,
    replaces that rule: {field: value} for the fields not given, from the flags that were
    (a recipe's smoke settings for the image size asked, the model fields of --init weights).
    Bad flags or values exit with a usage message (status 2) before any work starts.
    `validate(config)` raises ConfigError for values no run could use."""
    parser = flag_parser(config_cls, prog, description)
    given = vars(parser.parse_args(argv))
    try:
        if defaults is not None:
            values = {**defaults(given), **given}
        else:
            values = {**(smoke or {}), **given} if given.get("smoke") else given
        config = config_cls(**values)
        validate_fields(config)
        if validate is not None:
            validate(config)
    except ConfigError as e:
        parser.error(str(e))
    return config


def given_flags(config_cls, argv, prog=None, exclude=()):
    """{field: value} of only the flags given in `argv`, each parsed and checked; a flag that is
    not a field of `config_cls` (or is one of `exclude`) is a ConfigError naming the fields
    that are."""
    known = {flag(f.name) for f in dataclasses.fields(config_cls) if f.name not in exclude}
    for arg in argv:
        if arg.startswith("--") and arg.split("=", 1)[0] not in known:
            raise ConfigError(f"{prog or 'this command'} does not take {arg.split('=', 1)[0]!r}. Its own settings: "
                              f"{', '.join(sorted(known)) or 'none'}.")
    parser = flag_parser(config_cls, prog, exclude=exclude)
    given = vars(parser.parse_args(argv))
    for name, value in given.items():
        check(flag(name), value, field_check(config_cls, name))
    return given


def flag_parser(config_cls, prog=None, description=None, exclude=()):
    """An argparse parser with one flag per field of `config_cls` (its help and default shown);
    a flag not given leaves its field out of the parsed namespace. Flags are taken whole, not
    abbreviated: an abbreviation that argparse would expand (`--bench oracle`) is invisible to
    anything that reads the command line before the parser (the text recipe's dispatch to its
    oracle benchmark ran the plain recipe instead)."""
    parser = argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for field in [f for f in dataclasses.fields(config_cls) if f.name not in exclude]:
        kind = _base_type(field.type)
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        shown = ",".join(map(str, default)) if kind is list else repr(default)
        help_text = f"{field.metadata.get('help', '')} (default: {shown})".replace("%", "%%")
        if kind is bool:
            parser.add_argument(flag(field.name), action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=help_text)
        else:
            parser.add_argument(flag(field.name), type=_list_of(default) if kind is list else kind,
                                default=argparse.SUPPRESS, help=help_text, metavar=field.name.upper())
    return parser


def validate_fields(settings):
    """Each field's own check, with the field named as its flag. A subclass that only changes a
    field's default or help keeps the check of the class that declared it."""
    for field in dataclasses.fields(settings):
        check(flag(field.name), getattr(settings, field.name), field_check(type(settings), field.name))


def field_check(cls, name):
    """The check of field `name`: the nearest one declared along `cls`'s bases."""
    for base in cls.__mro__:
        declared = getattr(base, "__dataclass_fields__", {}).get(name)
        if declared is not None and declared.metadata.get("check") is not None:
            return declared.metadata["check"]
    return None


def _list_of(default):
    """A parser of "16,32,64" for a list field, its items typed like the default's."""
    item = type(default[0]) if default else int

    def parse_list(text):
        try:
            return [item(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {item.__name__}s separated by commas, got {text!r}") from None

    parse_list.__name__ = f"list of {item.__name__}"
    return parse_list


def _base_type(annotation):
    if isinstance(annotation, str):  # dataclasses made by make_dataclass keep real types
        return {"int": int, "float": float, "bool": bool, "str": str}.get(annotation, str)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation
