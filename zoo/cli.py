"""The `zoo` command: list, info, train, evaluate, export.

    zoo list
    zoo info lstm_image_classifier
    zoo train lstm_image_classifier [recipe flags; see `zoo train NAME --help`]
    zoo evaluate lstm_image_classifier [--weights pretrained|PATH]
    zoo export lstm_image_classifier [--weights pretrained|PATH] [--format saved_model|litert|onnx] [--output DIR]
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import zoo
from zoo import cards, portable
from zoo import config as cfg
from zoo.recipe import EvaluateSettings, settings_from_card
from zoo.errors import ConfigError, ZooError
from zoo.registry import get_entry


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if argv[:1] == ["train"] and len(argv) > 1 and not argv[1].startswith("-"):
        command, rest = ["train", argv[1]], argv[2:]  # the recipe parses its own flags
        args = parser.parse_args(command)
    elif argv[:1] == ["evaluate"]:
        args, rest = parser.parse_known_args(argv)  # model-specific settings, e.g. --nll-samples
    else:
        args, rest = parser.parse_args(argv), []
    try:
        return args.handler(args, rest) or 0
    except ZooError as e:
        print(f"zoo {args.command}: error: {e}", file=sys.stderr)
        return 2


def _parser():
    parser = argparse.ArgumentParser(prog="zoo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("list", help="the registered models, with their shipped metric")
    p.set_defaults(handler=_list)

    p = commands.add_parser("info", help="a model's task, data, inputs, outputs, config and metrics")
    p.add_argument("name")
    p.set_defaults(handler=_info)

    p = commands.add_parser("train", help="train a model with its recipe (`zoo train NAME --help` for its flags)", add_help=False)
    p.add_argument("name", nargs="?")
    p.add_argument("-h", "--help", action="store_true")
    p.set_defaults(handler=_train)

    for name, handler, text in (
        ("evaluate", _evaluate, "measure a model's metrics on its test data"),
        ("export", _export, "write a SavedModel for TF Serving (<output>/<version>/), a LiteRT or an ONNX export"),
    ):
        p = commands.add_parser(name, help=text)
        p.add_argument("name")
        p.add_argument("--weights", default="pretrained", help="'pretrained' (default), a model folder or a .weights.h5 file")
        if name == "evaluate":
            p.add_argument("--data-dir", help="TFDS data folder (default: $TFDS_DATA_DIR)")
            p.add_argument("--max-examples", type=int, default=0,
                           help="measure only the first N test examples (default: as the model card did)")
            p.add_argument("--record", action="store_true",
                           help="write the measured metrics into the weights' model card")
        else:
            p.add_argument("--format", default="saved_model", choices=portable.FORMATS,
                           help="saved_model (default: for TF Serving), litert (one .tflite file) or onnx (one "
                                ".onnx file per endpoint)")
            p.add_argument("--output", help="export folder (default: saved_models/<name>/serving for a SavedModel, "
                                            "saved_models/<name>/<format> otherwise)")
            p.add_argument("--version", type=int, help="SavedModel version number (default: one more than the "
                                                       "highest present)")
        p.set_defaults(handler=handler)
    return parser


def _list(args, rest):
    rows = [("name", "task", "dataset", "parameters", "shipped metric")]
    for name in zoo.list_models():
        entry = get_entry(name)
        model = entry.cls(**entry.default_config())
        card = cards.read_card(cards.saved_models_dir() / name) or {}
        value = card.get("metrics", {}).get(entry.metric)
        rows.append((name, entry.task, entry.dataset, f"{model.count_params():,}",
                     f"{entry.metric} {value:.4g}" if value is not None else "— (not trained yet)"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _info(args, rest):
    record = zoo.info(args.name)
    record = {k: v for k, v in vars(record).items() if k != "card"}
    print(json.dumps(record, indent=2, default=str))


def _train(args, rest):
    if args.name is None:
        print("usage: zoo train NAME [recipe flags]\nmodels: " + ", ".join(zoo.list_models()))
        return 0 if args.help else 2
    get_entry(args.name).recipe().main(rest + (["--help"] if args.help else []))


def _evaluate(args, rest):
    """Measures the weights as their model card was measured, when they have one, so the two
    sets of numbers can be compared; else on the model's default test data. The recipe's own
    measurement settings (e.g. --nll-samples) are flags parsed like training flags."""
    model = zoo.load(args.name, weights=args.weights)
    entry = get_entry(args.name)
    recipe = entry.recipe()
    folder = cards.saved_models_dir() / args.name if args.weights == "pretrained" else Path(args.weights)
    card = cards.read_card(folder) if folder.is_dir() else None
    # The recipe's own measurement settings, on top of the card's (or the defaults); which data
    # is this command's own flags.
    evaluate = recipe.evaluate_class()
    common = [f.name for f in dataclasses.fields(EvaluateSettings)]
    given = cfg.given_flags(evaluate, rest, prog=f"zoo evaluate {args.name}", exclude=common)
    if card:
        settings = settings_from_card(recipe, card, data_dir=args.data_dir)
    else:
        settings = evaluate(dataset=entry.dataset, data_dir=args.data_dir)
    settings = dataclasses.replace(settings, **given, **({"max_examples": args.max_examples} if args.max_examples else {}))
    metrics = recipe.evaluate(model, settings)
    report = {"model": args.name, "weights": str(args.weights), "dataset": settings.dataset, "metrics": metrics}
    if card:
        report["model_card_metrics"] = card.get("metrics", {})
    print(json.dumps(report, indent=2))
    if args.record:
        if card is None:
            raise ConfigError(f"--record needs weights with a model card; {folder} has none.")
        card["metrics"] = {**card["metrics"], **metrics}
        card["notes"] = recipe.notes(card["metrics"], card["dataset"])
        card["recorded_by"] = {"command": "zoo " + " ".join(sys.argv[1:]), **cards.environment()}
        cards.write_card(folder, card)
        print(f"recorded in {folder / cards.CARD}")


def _export(args, rest):
    model = zoo.load(args.name, weights=args.weights)
    if args.format != "saved_model":
        path = zoo.export(model, args.output or cards.saved_models_dir() / args.name / args.format,
                          version=args.version, format=args.format)
        skipped = getattr(model, "NOT_PORTABLE", {})
        print(f"exported {args.name} to {path}" + "".join(f"\n  left out {k}: {v}" for k, v in skipped.items()))
        print(f"run it without TensorFlow: python {Path(portable.__file__).parent / 'runtimes.py'} {path} "
              "INPUTS.npz OUTPUTS.npz")
        return
    base = args.output or cards.saved_models_dir() / args.name / "serving"
    path = zoo.export(model, base, version=args.version)
    print(f"exported {args.name} to {path}")
    print(f"serve it: docker run -p 8501:8501 -v {path.parent.resolve()}:/models/{args.name} "
          f"-e MODEL_NAME={args.name} tensorflow/serving")


if __name__ == "__main__":
    sys.exit(main())
