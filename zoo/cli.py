"""The `zoo` command: list, info, sample, predict, train, prepare, evaluate, export.

    zoo list
    zoo info lstm_image_classifier
    zoo sample dcgan [--count N] [--seed S] [--output DIR or FILE.png]
    zoo predict lstm_image_classifier IMAGE [IMAGE ...]
    zoo train lstm_image_classifier [recipe flags; see `zoo train NAME --help`]
    zoo prepare lstm_gan_music [recipe flags]    # its data, made or downloaded once (then offline)
    zoo evaluate lstm_image_classifier [--weights pretrained|PATH] [--no-download]
    zoo export lstm_image_classifier [--weights pretrained|PATH] [--format saved_model|litert|onnx] [--output DIR]

Errors are one line on stderr and exit status 2; --debug (anywhere on the line) or ZOO_DEBUG=1
shows the traceback of an unexpected one.
"""

import argparse
import dataclasses
import json
import os
import sys
import traceback
from pathlib import Path

import numpy as np

import zoo
from zoo import cards, exports, files
from zoo import config as cfg
from zoo.recipe import EvaluateSettings, settings_from_card
from zoo.errors import ConfigError, ZooError
from zoo.models.conditional import ClassConditional
from zoo.registry import get_entry


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv or os.environ.get("ZOO_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    parser = _parser()
    if argv[:1] in (["train"], ["prepare"]) and len(argv) > 1 and not argv[1].startswith("-"):
        command, rest = argv[:2], argv[2:]  # the recipe parses its own flags
        args = parser.parse_args(command)
    elif argv[:1] == ["evaluate"]:
        args, rest = parser.parse_known_args(argv)  # model-specific settings, e.g. --nll-samples
    else:
        args, rest = parser.parse_args(argv), []
    where = f"zoo {args.command}" + (f" {args.name}" if getattr(args, "name", None) else "")
    try:
        return args.handler(args, rest) or 0
    except BrokenPipeError:  # the reader went away (`zoo info x | head`): nothing left to say
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001  a ZooError says what to do; anything else gets one line too
        if debug:
            traceback.print_exc()
        if isinstance(e, ZooError):
            print(f"{where}: error: {e}", file=sys.stderr)
        else:
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            hint = "" if debug else " (run again with --debug, or ZOO_DEBUG=1, for the traceback)"
            print(f"{where}: error: unexpected {type(e).__name__}{': ' + first if first else ''}{hint}",
                  file=sys.stderr)
        return 2


def _parser():
    parser = argparse.ArgumentParser(prog="zoo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("list", help="the registered models, with their shipped metric")
    p.set_defaults(handler=_list)

    p = commands.add_parser("info", help="a model's task, data, inputs, outputs, config and metrics")
    p.add_argument("name", help="a registered model (`zoo list` lists them)")
    p.set_defaults(handler=_info)

    p = commands.add_parser("sample", help="draw from a generator: image files (or one grid), or lines of text")
    p.add_argument("name", help="a registered model (`zoo list` lists them)")
    _weights_flag(p)
    p.add_argument("--count", type=_positive_int, default=16, help="how many samples (default: 16)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draw: same seed, same samples (default: 0)")
    p.add_argument("--label", type=int, action="append", metavar="CLASS",
                   help="a class-conditional generator (dcgan_conditional, ...) draws this class: every sample, or "
                        "given again, the classes in turn (--label 3 --label 7); default: every class in turn")
    p.add_argument("--temperature", type=float, metavar="T",
                   help="the sampling temperature of a VAE, a pixel LSTM or a text generator (below 1: surer, less "
                        "varied samples; default: the model's own, its sample_temperature or 1)")
    p.add_argument("--guidance", type=float, metavar="W",
                   help="classifier-free guidance of pixel_lstm_conditional (0: the model itself, unguided; above 0: "
                        "surer of the class, twice the work; default: the model's own, its guidance)")
    p.add_argument("--output", help="a folder for one PNG per sample, or a FILE.png for one grid (default: "
                                    "<name>-samples/); text is printed")
    p.set_defaults(handler=_sample)

    p = commands.add_parser("predict", help="classify image (or video) files with a classifier")
    p.add_argument("name", help="a registered model (`zoo list` lists them)")
    p.add_argument("files", nargs="+", metavar="FILE", help="images (PNG, JPEG, GIF, BMP), or videos for a video model")
    _weights_flag(p)
    p.set_defaults(handler=_predict)

    p = commands.add_parser("train", help="train a model with its recipe (`zoo train NAME --help` for its flags)", add_help=False)
    p.add_argument("name", nargs="?", help="a registered model (`zoo list` lists them); without it, the list")
    p.add_argument("-h", "--help", action="store_true")
    p.set_defaults(handler=_train)

    p = commands.add_parser("prepare", help="prepare the data `zoo train NAME` reads (a dataset made on first use is "
                                            "made now), e.g. before going offline", add_help=False)
    p.add_argument("name", nargs="?", help="a registered model (`zoo list` lists them); without it, the list")
    p.add_argument("-h", "--help", action="store_true")
    p.set_defaults(handler=_prepare)

    for name, handler, text in (
        ("evaluate", _evaluate, "measure a model's metrics on its test data"),
        ("export", _export, "write a SavedModel for TF Serving (<output>/<version>/), a LiteRT or an ONNX export"),
    ):
        p = commands.add_parser(name, help=text)
        p.add_argument("name", help="a registered model (`zoo list` lists them)")
        _weights_flag(p)
        if name == "evaluate":
            p.add_argument("--data-dir", help="TFDS data folder (default: $TFDS_DATA_DIR)")
            p.add_argument("--download", action=argparse.BooleanOptionalAction, default=True,
                           help="let TFDS download a test set that is not prepared (--no-download: fail at once, "
                                "for offline machines)")
            p.add_argument("--max-examples", type=int, default=0,
                           help="measure only the first N test examples (default: as the model card did)")
            p.add_argument("--record", action="store_true",
                           help="write the measured metrics into the weights' model card")
        else:
            p.add_argument("--format", default="saved_model", choices=exports.FORMATS,
                           help="saved_model (the default, for TF Serving), litert (one .tflite file) or onnx (one "
                                ".onnx file per endpoint)")
            p.add_argument("--output", help="export folder (default: exports/<name>/serving for a SavedModel, "
                                            "exports/<name>/<format> otherwise)")
            p.add_argument("--version", type=int, help="SavedModel version number (default: one more than the "
                                                       "highest present)")
        p.set_defaults(handler=handler)
    return parser


def _weights_flag(parser):
    parser.add_argument("--weights", default="pretrained",
                        help="'pretrained' (default), a model folder or a .weights.h5 file")


def _list(args, rest):
    rows = [("name", "task", "dataset", "parameters", "shipped metric")]
    for name in zoo.list_models():
        entry = get_entry(name)
        folder = cards.saved_models_dir() / name
        card = cards.read_card(folder) or {}
        value = card.get("metrics", {}).get(entry.metric)
        # The shipped model's parameters (its card counts them), else the default configuration's.
        params = card.get("num_params") or entry.cls(**entry.default_config()).count_params()
        rows.append((name, entry.task, entry.dataset, f"{params:,}",
                     f"{entry.metric} {value:.4g}" if value is not None else "— (not trained yet)"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _info(args, rest):
    record = zoo.info(args.name)
    record = {k: v for k, v in vars(record).items() if k != "card"}
    print(json.dumps(record, indent=2, default=str))


def _sample(args, rest):
    model = zoo.load(args.name, weights=args.weights)
    conditional = isinstance(model, ClassConditional) and model.num_classes
    if args.label and not conditional:
        raise ConfigError(f"{args.name} is not class-conditional: --label needs one of "
                          f"{', '.join(zoo.registry.conditional_variants())}.")
    if args.guidance is not None and not hasattr(model, "guidance"):
        guided = [n for n in zoo.list_models() if get_entry(n).default_config().get("label_dropout")]
        raise ConfigError(f"{args.name} cannot be guided: --guidance is for {', '.join(guided)}.")
    if hasattr(model, "generate_text"):
        options = {} if args.temperature is None else {"temperature": args.temperature}
        for i, text in enumerate(model.generate_text(args.count, seed=args.seed, **options)):
            print(f"--- sample {i + 1} of {args.count} (seed {args.seed}) ---\n{text}")
        return
    if not hasattr(model, "sample"):
        generators = [n for n in zoo.list_models() if hasattr(get_entry(n).cls, "sample")]
        raise ConfigError(f"{args.name} does not draw samples; the generators are {', '.join(generators)}.")
    labels = None
    if args.label:
        labels = np.resize(np.asarray(args.label), args.count)
        wrong = sorted({int(x) for x in args.label if not 0 <= x < model.num_classes})
        if wrong:
            raise ConfigError(f"--label must lie in [0, {model.num_classes}) for {args.name}, got {wrong}.")
    options = {"labels": labels} if conditional else {}
    if args.temperature is not None:
        if not hasattr(model, "sample_temperature"):
            tempered = [n for n in zoo.list_models() if "sample_temperature" in get_entry(n).default_config()
                        or hasattr(get_entry(n).cls, "generate_text")]
            raise ConfigError(f"{args.name} has no sampling temperature: --temperature is for {', '.join(tempered)}.")
        options["temperature"] = args.temperature
    if args.guidance is not None:
        options["guidance"] = args.guidance
    images = np.asarray(model.sample(args.count, seed=args.seed, **options))
    output = Path(args.output or f"{args.name}-samples")
    written = model.write_samples(images, output, prefix=f"{args.name}-{args.seed}")
    print(f"wrote {len(written)} file(s) of {len(images)} samples of {args.name}: {output}")


def _predict(args, rest):
    model = zoo.load(args.name, weights=args.weights)
    if not hasattr(model, "classification_outputs"):
        classifiers = [n for n in zoo.list_models() if hasattr(get_entry(n).cls, "classification_outputs")]
        raise ConfigError(f"{args.name} is not a classifier; the classifiers are {', '.join(classifiers)}.")
    for path, label, probability in files.classify(model, args.files):
        print(f"{path}\t{label}\t{probability:.4f}")


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _train(args, rest):
    if args.name is None:
        print("usage: zoo train NAME [recipe flags]\nmodels: " + ", ".join(zoo.list_models()))
        return 0 if args.help else 2
    get_entry(args.name).recipe().main(rest + (["--help"] if args.help else []))


def _prepare(args, rest):
    """Loads the data the recipe would train on with these flags: a dataset generated on first
    use (bach_chorales, moving_mnist_motion) is generated now, a TFDS one downloaded if missing."""
    if args.name is None:
        print("usage: zoo prepare NAME [recipe flags]\nmodels: " + ", ".join(zoo.list_models()))
        return 0 if args.help else 2
    recipe = get_entry(args.name).recipe()
    data = recipe.load_data(recipe.parse(rest + (["--help"] if args.help else [])))
    counts = ", ".join(f"{data.info[k]:,} {k.replace('_', ' ')}" for k in data.info if k.endswith("_examples")
                       and isinstance(data.info[k], int))
    print(f"{args.name}: {data.info['name']} is ready ({counts})")


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
    if not args.download:
        _require_prepared(settings.dataset or entry.dataset, args.data_dir)
    settings = dataclasses.replace(settings, **given, download=args.download,
                                   **({"max_examples": args.max_examples} if args.max_examples else {}))
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


def _require_prepared(dataset, data_dir):
    """A DataError at once when the TFDS `dataset` is not prepared (a folder of your own files
    is read as it is)."""
    from zoo.data import folders, load_builder

    if folders.is_folder(dataset):
        return
    # The generated video clips are made from MNIST on this machine: MNIST is what must be there.
    load_builder("mnist" if dataset.startswith("moving_mnist_motion") else dataset, data_dir, download=False)


def _export(args, rest):
    model = zoo.load(args.name, weights=args.weights)
    if args.format != "saved_model":
        path = zoo.export(model, args.output or Path("exports") / args.name / args.format,
                          version=args.version, format=args.format)
        skipped = model.NOT_PORTABLE
        print(f"exported {args.name} to {path}" + "".join(f"\n  left out {k}: {v}" for k, v in skipped.items()))
        print(f"run it without TensorFlow: python {Path(exports.__file__).parent / 'runtimes.py'} {path} "
              "INPUTS.npz OUTPUTS.npz")
        return
    base = args.output or Path("exports") / args.name / "serving"
    path = zoo.export(model, base, version=args.version)
    print(f"exported {args.name} to {path}")
    print(f"serve it: docker run -p 8501:8501 -v {path.parent.resolve()}:/models/{args.name} "
          f"-e MODEL_NAME={args.name} tensorflow/serving")


if __name__ == "__main__":
    sys.exit(main())
