"""What every benchmark's command line shares: its parser, the `--models` choice, and the two
files a run leaves (OUTPUT.json, the record; OUTPUT.md, the table)."""

import argparse
from pathlib import Path


def argument_parser(module, description):
    """The parser of `python -m module`, its `--help` the module's docstring as written."""
    return argparse.ArgumentParser(prog=f"python -m {module}", description=description,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def chosen_models(parser, models, known, refusal="unknown model(s)"):
    """The names in the comma-separated `models` (every one of `known` when it is empty); a
    name not in `known` is a usage error that lists them."""
    names = [n for n in models.split(",") if n] or list(known)
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"{refusal} {unknown}; choose from {list(known)}.")
    return names


def write_results(output, record, markdown):
    """`record` as OUTPUT.json and `markdown` as OUTPUT.md, each replaced whole or not at all."""
    from zoo import atomic

    output = Path(output)
    atomic.write_json(output.with_suffix(".json"), record)
    atomic.write_text(output.with_suffix(".md"), markdown)
