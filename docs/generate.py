"""The generated parts of the docs site, from the registry, the model cards and the parsers.

`docs/gen_pages.py` writes them into the site at build time (mkdocs-gen-files), so a model
registered later gets its page with no edit here, and a retrain changes its page with no edit at
all. `python -m docs.generate --readme` rewrites the model table between the README's markers
(`tests/test_docs.py` checks that it is current).
"""

import argparse
import inspect
import json
import re
import sys
from pathlib import Path

import keras
import numpy as np

import zoo
from zoo import cards, config as cfg, exports
from zoo.models.base import ZooModel
from zoo.registry import get_entry

REPO = Path(__file__).resolve().parent.parent
TABLE_START, TABLE_END = "<!-- models-table -->", "<!-- /models-table -->"
CONDITIONAL_START, CONDITIONAL_END = "<!-- conditional-table -->", "<!-- /conditional-table -->"
CELLS_START, CELLS_END = "<!-- cells-table -->", "<!-- /cells-table -->"
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
# Methods of keras.Model the zoo's models override to train and serve: documented by Keras.
KERAS_NAMES = set(dir(keras.Model))


# -- cards ----------------------------------------------------------------------------------------


def shipped_card(name):
    """The shipped model card of `name`, or None when no weights ship for it."""
    return cards.read_card(cards.saved_models_dir() / name)


def metric_text(metric, value):
    """A card metric as the tables show it: accuracies in per cent, the rest to two decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if "accuracy" in metric and value <= 1:
        return f"{100 * value:.2f} %"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"  # four significant digits: 0.9043, 18.91, 155.8


def headline(name, card):
    """The model table's metric cell: the recipe's own summary of its card (`Recipe.headline`)."""
    return get_entry(name).recipe().headline(card)


def training_text(card):
    """'15 epochs, 23.8 min on 2 CPU cores' from a card."""
    env = card.get("environment", {})
    where = f"{env['gpus']} GPU" if env.get("gpus") else f"{env.get('cpu_count', '?')} CPU cores"
    minutes = card.get("training_seconds", 0) / 60
    epochs = card.get("epochs")
    if not epochs:
        return f"{minutes:.1f} min on {where}"
    return f"{epochs} epoch{'s' if epochs != 1 else ''}, {minutes:.1f} min on {where}"


def data_text(card, entry):
    data = card.get("dataset", {}) if card else {}
    name = data.get("name", entry.dataset) if isinstance(data, dict) else entry.dataset
    version = data.get("version") if isinstance(data, dict) else None
    return f"{name} {version}" if version else str(name)


def model_table(link=None):
    """The model table (markdown): one row per registered model, every figure from its card.
    `link(name)` gives the target of a model's name (none by default)."""
    rows = ["| name | what it is | data | parameters | shipped metric | training |",
            "|---|---|---|---|---|---|"]
    for name in zoo.list_models():
        entry, card = get_entry(name), shipped_card(name)
        shown = f"[`{name}`]({link(name)})" if link else f"`{name}`"
        if card is None:
            rows.append(f"| {shown} | {entry.description} | {entry.dataset} | – | no shipped weights | – |")
            continue
        rows.append(f"| {shown} | {entry.description} | {data_text(card, entry)} | {card['num_params']:,} | "
                    f"{headline(name, card)} | {training_text(card)} |")
    return "\n".join(rows)


def conditional_table():
    """The class-conditional generators against their unconditional counterparts (markdown),
    every figure from the two shipped cards: the share of samples drawn as the class asked
    for, the sample measures under the second judge, and the likelihoods where there is one.
    A model that samples below temperature 1 or with guidance shows its measures as the model
    itself (temperature 1, no guidance) beside them."""
    def shown(metrics, key, form):
        return form.format(metrics[key]) if key in metrics else "–"

    def at_one(metrics, key, form):  # the measure of the model itself, of a model that samples otherwise
        return f" ({form.format(metrics[key + '_t1'])} at 1)" if key + "_t1" in metrics else ""

    rows = ["| model | conditional accuracy, second judge (first) | real test images, second judge (first) | "
            "score ratio, second judge: conditional / unconditional | Fréchet distance, second judge: conditional / "
            "unconditional | per-class Fréchet distance, second judge (floor) | test NLL, nats: −log p(x) / −log p(x \\| y) / "
            "unconditional | training |",
            "|---|---|---|---|---|---|---|---|"]
    for name, plain in zoo.registry.conditional_variants().items():
        card, plain_card = shipped_card(name), shipped_card(plain)
        if card is None:
            rows.append(f"| `{name}` | no shipped weights | – | – | – | – | – | – |")
            continue
        m, u = card["metrics"], (plain_card or {}).get("metrics", {})
        accuracy = (f"**{m['conditional_accuracy_conv']:.2%}** ({m['conditional_accuracy']:.2%})"
                    if "conditional_accuracy_conv" in m else "–")
        temperature = card["model_config"].get("sample_temperature", 1.0)
        guidance = card["model_config"].get("guidance", 0.0)
        if "conditional_accuracy_conv_t1" in m:  # drawn otherwise than the model itself: both, each so labelled
            accuracy += (f" at temperature {temperature:g}{f', guidance {guidance:g}' if guidance else ''}; "
                         f"{m['conditional_accuracy_conv_t1']:.2%} ({m['conditional_accuracy_t1']:.2%}) at 1"
                         f"{' unguided' if guidance else ''}")
        real = (f"{m['conditional_accuracy_real_conv']:.2%} ({m['conditional_accuracy_real']:.2%})"
                if "conditional_accuracy_real_conv" in m else "–")
        if "conditional_accuracy_real_binary_conv" in m:  # binary samples: real digits binarised as the model's
            real += (f"; binarised {m['conditional_accuracy_real_binary_conv']:.2%} "
                     f"({m['conditional_accuracy_real_binary']:.2%})")
        ratio, distance = (f"{shown(m, key, form)}{at_one(m, key, form)} / {shown(u, key, form)}"
                           for key, form in (("classifier_score_ratio_conv", "{:.3f}"),
                                             ("frechet_distance_conv", "{:.2f}")))
        nll = "–"
        if "test_nll" in m:
            nll = (f"{m['test_nll']:.2f} / {shown(m, 'test_conditional_nll', '{:.2f}')} / "
                   f"{shown(u, 'test_nll', '{:.2f}')}")
        rows.append(f"| `{name}` | {accuracy} | {real} | {ratio} | {distance} | "
                    f"{shown(m, 'class_frechet_distance_conv', '{:.2f}')}"
                    f"{at_one(m, 'class_frechet_distance_conv', '{:.2f}')} "
                    f"({shown(m, 'class_frechet_distance_floor_conv', '{:.2f}')}) | {nll} | {training_text(card)} |")
    return "\n".join(rows)


def shipped_commit(folder, card):
    """(commit, how it is known): the card's own record of the code it ran from, else the commit
    that last changed the shipped weights file (from git, in a checkout), else (None, why)."""
    source = (card.get("environment") or {}).get("source") or card.get("source")
    if source:
        return source, "recorded by the run; +dirty: with changes to zoo/ or recipes/ not yet committed"
    weights = folder / card.get("files", {}).get("weights", cards.WEIGHTS)
    if cards.git("rev-parse", "--is-shallow-repository") == "true":  # its history is cut: no answer
        return None, "not recorded by this card, and this clone's history is shallow"
    out = cards.git("log", "-1", "--format=%H", "--", str(weights))
    if out:
        return out, "not recorded by this card, which predates recording it: the commit that shipped the weights"
    return None, "not recorded by this card (and no git history here)"


def command_text(card):
    """The card's training command as a user types it (the interpreter's path left out)."""
    command = (card.get("environment") or {}).get("command", "")
    words = command.split()
    if words and words[0].endswith("/zoo"):
        words[0] = "zoo"
    elif words and words[0].endswith(".py"):
        module = Path(words[0]).resolve().relative_to(REPO) if REPO in Path(words[0]).resolve().parents else None
        words[0] = f"python -m {'.'.join(module.with_suffix('').parts)}" if module else words[0]
    return " ".join(words)


def flat_metrics(metrics, prefix=""):
    """[(name, value)] with nested tables flattened as `table[key]` (`table[key][key]` …).

    >>> flat_metrics({"a": 1, "b": {"2": 0.5, "3": {"x": 7}}})
    [('a', 1), ('b[2]', 0.5), ('b[3][x]', 7)]
    """
    rows = []
    for key, value in metrics.items():
        name = f"{prefix}[{key}]" if prefix else key
        rows += flat_metrics(value, name) if isinstance(value, dict) else [(name, value)]
    return rows


# -- model pages ----------------------------------------------------------------------------------


def public_methods(cls):
    """The methods a model's users call: public, defined by the model's own class family (not
    `ZooModel`'s helpers for model authors, not the Keras methods it overrides)."""
    own = []
    for klass in cls.__mro__:
        if klass is ZooModel or not issubclass(klass, ZooModel):
            break
        own += [n for n, v in vars(klass).items()
                if not n.startswith("_") and callable(v) and n not in KERAS_NAMES and n not in own]
    return sorted(own)


def example_expression(value):
    """Python source for `value` (a list tree), with runs of equal items written `[x] * n`."""
    if not isinstance(value, list):
        return repr(value) if isinstance(value, (bool, type(None))) else json.dumps(value)
    if value and all(item == value[0] for item in value):
        inner = example_expression(value[0])
        return f"[{inner}]" if len(value) == 1 else f"[{inner}] * {len(value)}"
    return "[" + ", ".join(example_expression(v) for v in value) + "]"


def rest_body(model, endpoint):
    """A TF Serving REST predict body for `endpoint`, from the model's `serving_example`: row
    format (`instances`) where every input has a batch axis, else columnar (`inputs`)."""
    _, specs = model.serving_signatures()[endpoint]
    values = model.serving_example(endpoint)
    batched = all(s.shape.rank and s.shape[0] is None for s in specs)
    body = {} if endpoint == "serving_default" else {"signature_name": endpoint}
    listed = {s.name: np.asarray(values[s.name]).tolist() for s in specs}
    if batched and len(specs) == 1:
        body["instances"] = listed[specs[0].name]
    elif batched:
        rows = len(next(iter(listed.values())))
        body["instances"] = [{k: v[i] for k, v in listed.items()} for i in range(rows)]
    else:
        body["inputs"] = listed
    return body


def rest_request(name, model, endpoint):
    """Shell lines that send `endpoint`'s example to TF Serving: the body inline when short,
    else written by a Python one-liner (a picture is thousands of numbers)."""
    body = rest_body(model, endpoint)
    url = f"http://localhost:8501/v1/models/{name}:predict"
    text = json.dumps(body)
    if len(text) <= 160:
        return [f"curl -d '{text}' {url}"]
    parts = ", ".join(f'"{k}": ' + (example_expression(v) if k != "inputs" else
                                    "{" + ", ".join(f'"{a}": {example_expression(b)}' for a, b in v.items()) + "}")
                      for k, v in body.items())
    return [f"python3 -c 'import json; print(json.dumps({{{parts}}}))' > request.json",
            f"curl -d @request.json {url}"]


def serving_block(name, model):
    """The shell block that exports `name` and serves it with TF Serving, a request per endpoint."""
    lines = [f"zoo export {name}",
             f'docker run -p 8501:8501 -v "$PWD/exports/{name}/serving:/models/{name}" '
             f"-e MODEL_NAME={name} tensorflow/serving"]
    for endpoint in model.serving_signatures():
        lines.append(f"# {endpoint}")
        lines += rest_request(name, model, endpoint)
    return "\n".join(lines)


def _cell(text):
    """`text` as one markdown table cell: no line breaks, pipes escaped, and `<...>` shown as
    written (outside code spans, markdown would take it for an HTML tag)."""
    parts = str(text).replace("|", "\\|").replace("\n", " ").split("`")
    return "`".join(p.replace("<", "&lt;").replace(">", "&gt;") if i % 2 == 0 else p for i, p in enumerate(parts))


def config_table(entry, shipped):
    """Each constructor field: its default in `zoo.load`, what the recipe trains with (its
    `model_defaults`; "from the data" for its `derived_fields`, which are not flags), the value
    of the shipped weights (`shipped`: their config.json), and its help."""
    recipe = entry.recipe()
    docs = cfg.argument_docs(entry.cls)
    rows = ["| field | `zoo.load` default | `zoo train` default | shipped weights | what it sets |",
            "|---|---|---|---|---|"]

    def shown(value):
        text = repr(value)
        return f"`{text if len(text) <= 40 else text[:37] + '…'}`"

    for field, default in entry.default_config().items():
        if field in recipe.derived_fields:
            trained = "from the data"
        elif field == "seed":  # the run's --seed
            trained = f"`--seed` ({recipe.config_class().__dataclass_fields__['seed'].default})"
        elif field in recipe.model_defaults:
            trained = f"**{shown(recipe.model_defaults[field])}**"
        else:
            trained = "the same"
        ships = shown(shipped[field]) if field in shipped else "–"
        rows.append(f"| `{field}` | {shown(default)} | {trained} | {ships} | {_cell(docs.get(field, ''))} |")
    return "\n".join(rows)


def model_page(name, picture_link=None):
    """The markdown page of registered model `name`. `picture_link(folder, file)` gives the site
    path of `saved_models/<folder>/<file>` (the build copies it there); none: pictures are left
    out."""
    entry = get_entry(name)
    recipe = entry.recipe()
    folder = cards.saved_models_dir() / name
    card = shipped_card(name)
    model = entry.cls(**{**entry.default_config(), **_shipped_config(folder)})
    record = zoo.info(name)
    cls = f"{entry.cls.__module__}.{entry.cls.__qualname__}"
    lines = [f"# `{name}`", "", f"**{entry.description}**", "",
             f"Task: {entry.task} · data: `{entry.dataset}` · parameters: {record.num_params:,} · "
             f"class: [`{cls}`](#python-class) · recipe: `{entry.recipe_module}`", ""]
    if recipe.answers:
        lines += ["!!! question \"What it answers\"", "", f"    {recipe.answers}", ""]
    doc = inspect.getdoc(entry.cls) or ""
    # The class docstring after its first line, up to its first section (Args:, Example:, ...)
    overview = re.split(r"\n(?:Args|Arguments|Attributes|Example|Examples|Raises|Returns|Note|Notes):\s*\n",
                        doc.split("\n\n", 1)[1])[0].strip() if "\n\n" in doc else ""
    if overview:
        lines += [overview, ""]

    lines += ["## Use it", "", "```python", "import zoo", "",
              "# the shipped weights, built and compiled",
              f'model = zoo.load("{name}", weights="pretrained")',
              "# fresh weights (any configuration field below can be changed here)",
              f'fresh = zoo.load("{name}")',
              "# weights that `zoo train` wrote",
              f'mine = zoo.load("{name}", weights="runs/{name}")',
              f'zoo.export(model, "exports/{name}/serving")   # SavedModel for TF Serving', "```", "",
              "```bash",
              f"zoo train {name} --output runs/{name}      # retrain with the recipe's defaults",
              f"zoo train {name} --smoke --output /tmp/{name}   # a few seconds: does it run?",
              f"zoo evaluate {name} --weights runs/{name}   # the card's metrics again",
              f"zoo export {name} --weights runs/{name}     # SavedModel for TF Serving",
              f"zoo export {name} --format onnx             # or --format litert", "```", "",
              f"Every flag of `zoo train {name}`: [command line reference](../reference/cli.md#zoo-train-{name}).", ""]

    lines += ["## Shipped weights", ""]
    if card is None:
        lines += ["No weights ship for this model yet: `zoo train` makes them.", ""]
    else:
        commit, how = shipped_commit(folder, card)
        env = card.get("environment", {})
        lines += [f"{headline(name, card)}.", "",
                  "| metric | value |", "|---|---|"]
        lines += [f"| `{_cell(k)}` | {metric_text(k, v)} |" for k, v in flat_metrics(card.get("metrics", {}))]
        lines += ["", f"- **Measured** {env.get('date', 'on an unrecorded date')}, by `{command_text(card)}` "
                      f"(seed {card.get('seed')}; {training_text(card)}; TensorFlow {env.get('tensorflow')}, "
                      f"Keras {env.get('keras')}).",
                  f"- **Commit**: `{_short(commit) if commit else '–'}`: {how}.",
                  f"- **Re-measured** by `tests/test_pretrained.py` from the shipped weights; "
                  f"`zoo evaluate {name}` measures them again.",
                  f"- **Card**: `saved_models/{name}/model_card.json` (`zoo info {name}` prints it)."]
        lines += [f"- {_cell(note)}" for note in card.get("notes", [])]
        lines.append("")
        pictures = [(k, f) for k, f in card.get("files", {}).items()
                    if isinstance(f, str) and f.lower().endswith(PICTURE_SUFFIXES) and (folder / f).exists()]
        if picture_link and pictures:
            lines += ["### Pictures", ""]
            for key, file in pictures:
                lines += [f"**{key.replace('_', ' ').capitalize()}** (`saved_models/{name}/{file}`)", "",
                          f"![{name}: {key.replace('_', ' ')}]({picture_link(name, file)})", ""]

    lines += ["## Configuration", "",
              f"The model's constructor fields. `zoo.load(\"{name}\", field=value)` takes each; "
              f"`zoo train {name} --field-name value` takes each but those the recipe sets from the data. "
              "The recipe trains with its own default where it differs (in bold), and the shipped weights "
              "were trained with the values of their `config.json`.", "",
              config_table(entry, _shipped_config(folder)), ""]

    lines += ["## Serving", "", "The exported SavedModel's signatures (`zoo info` lists them too), and how much one "
              "request may carry (`request_limits`; past it, an error that says so, and counts such as "
              "`num_images` are bounded by the signature itself):", "",
              "| endpoint | inputs | outputs | one request carries at most |", "|---|---|---|---|"]
    limits = model.request_limits()
    for endpoint in record.inputs:
        ins = "<br>".join(f"`{k}`: {v}" for k, v in record.inputs[endpoint].items())
        outs = "<br>".join(f"`{k}`: {v}" for k, v in record.outputs[endpoint].items())
        most = "<br>".join(f"`{k}`: " + ", ".join(f"{m:,} {'examples' if a == 0 else f'along axis {a}'}"
                                                  for a, m in axes.items())
                           for k, axes in limits.get(endpoint, {}).items()) or "–"
        lines.append(f"| `{endpoint}` | {ins} | {outs} | {most} |")
    lines += ["", "Served with TF Serving, one request per endpoint (the bodies are checked against the "
                  "exported signatures by `tests/test_rest_requests.py`):", "",
              "```bash", serving_block(name, model), "```", "",
              "### LiteRT and ONNX", "",
              "| endpoint | SavedModel | LiteRT | ONNX |", "|---|---|---|---|"]
    for endpoint, formats in exports.support(model).items():
        lines.append(f"| `{endpoint}` | " + " | ".join(_cell(formats[f]) for f in exports.FORMATS) + " |")
    lines.append("")

    notes = Path(inspect.getfile(type(recipe))).parent / "README.md"  # beside the recipe
    if notes.exists():
        text = notes.read_text()
        text = re.sub(r"\A# .*\n", "", text)  # the page has its title
        text = text.replace("](../../docs/pages/", "](../")  # links into the guides, from the site
        # Pictures of the shipped folders, linked from the recipe's folder: copied into the site
        # (those of the card's own files are shown above already)
        shown = {(name, f) for f in (card or {}).get("files", {}).values() if isinstance(f, str)}
        pictures = r"!\[([^]]*)\]\(\.\./\.\./saved_models/([^/)]+)/([^)]+)\)\n?"
        text = re.sub(pictures, lambda m: (f"![{m.group(1)}]({picture_link(m.group(2), m.group(3))})\n"
                                           if picture_link and (m.group(2), m.group(3)) not in shown else ""), text)
        lines += ["## Notes from the recipe", "",
                  f"From `{_shown_path(notes)}`: how the recipe got here, and what else it measured.", "",
                  _demote(text), ""]

    members = public_methods(entry.cls)
    lines += ["## Python class", "", f"::: {cls}", "    options:", "      show_root_heading: false",
              "      heading_level: 3", "      inherited_members: true", f"      members: {json.dumps(members)}", ""]
    return "\n".join(lines)


def _short(commit):
    """A commit's first 12 digits, with its "+dirty" mark kept."""
    head, _, mark = commit.partition("+")
    return head[:12] + (f"+{mark}" if mark else "")


def _shown_path(path):
    return path.relative_to(REPO) if REPO in path.parents else path.name


def _demote(text):
    r"""Headings one level down, below the page's own `##` (not a `#` line in a code block).

    >>> _demote("## Oracle\n```bash\n# a comment\n```\n")
    '### Oracle\n```bash\n# a comment\n```\n'
    """
    parts = re.split(r"(^```.*?^```)", text, flags=re.M | re.S)
    return "".join(p if i % 2 else re.sub(r"^(#+) ", lambda m: "#" * max(3, len(m.group(1)) + 1) + " ", p,
                                          flags=re.M)
                   for i, p in enumerate(parts))


def _shipped_config(folder):
    path = folder / cards.CONFIG
    return json.loads(path.read_text()) if path.exists() else {}


# -- command line ---------------------------------------------------------------------------------


def _flags_table(parser):
    rows = ["| flag | default | what it does |", "|---|---|---|"]
    for action in parser._actions:  # argparse keeps no public list of its arguments
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) or action.dest == "help":
            continue
        names = ", ".join(f"`{s}`" for s in action.option_strings) or f"`{action.dest}`"
        if isinstance(action, argparse.BooleanOptionalAction):
            names = f"`{action.option_strings[0]}` / `{action.option_strings[1]}`"
        help_text = (action.help or "").replace("%%", "%")
        # "(default: …)": what the parser appends (the value), after what the help may say in
        # words (the first wins: "$TFDS_DATA_DIR, else ~/tensorflow_datasets" over "None")
        defaults = list(re.finditer(r"\(default: ((?:[^()]|\([^()]*\))*)\)", help_text))
        if defaults:
            shown = defaults[0].group(1)
            help_text = re.sub(r"\s*\(default: ((?:[^()]|\([^()]*\))*)\)", "", help_text).strip()
        elif action.default in (None, argparse.SUPPRESS) or not action.option_strings:
            shown = "–" if action.option_strings or action.nargs == "?" else "(required)"
        else:
            shown = repr(action.default)
        if action.choices:
            help_text += f" (one of: {', '.join(map(str, action.choices))})"
        rows.append(f"| {names} | {_cell(shown)} | {_cell(help_text)} |")
    return "\n".join(rows) if len(rows) > 2 else "It takes no flags."


def cli_page():
    """The command-line reference: every `zoo` subcommand's flags, then every recipe's."""
    from zoo import cli

    parser = cli._parser()
    lines = ["# Command line", "", "Generated from the `zoo` command's argparse parsers and from every "
             "recipe's settings; `zoo COMMAND --help` prints the same.", "", "```text",
             parser.format_usage().strip(), "```", "", _flags_table(parser), ""]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command, subparser in sub.choices.items():
        what = sub._choices_actions[list(sub.choices).index(command)].help
        lines += [f"## `zoo {command}`", "", _cell(what[:1].upper() + what[1:]) + ".", "", "```text", subparser.format_usage().strip(), "```", "", _flags_table(subparser), ""]
        if command == "train":
            lines += ["`zoo train NAME` runs the model's recipe (`python -m recipes.NAME.recipe` is the same); "
                      "its flags are below, one section per model.", ""]
        if command == "evaluate":
            lines += ["`zoo evaluate NAME` also takes the settings of how NAME's card was measured "
                      "(listed with each recipe below).", ""]
    for name in zoo.list_models():
        recipe = get_entry(name).recipe()
        flags = cfg.flag_parser(recipe.config_class(), prog=f"zoo train {name}")
        doc = (sys.modules[type(recipe).__module__].__doc__ or "").strip()
        lines += [f"## `zoo train {name}`", "", "```text", doc, "```", "", _flags_table(flags), ""]
        if recipe.Measurement:
            measured = cfg.flag_parser(recipe.evaluate_class(), prog=f"zoo evaluate {name}")
            lines += [f"### `zoo evaluate {name}` settings", "", _flags_table(measured), ""]
    return "\n".join(lines)


# -- the benchmark ---------------------------------------------------------------------------------


def benchmark_table():
    """The table of the last `python -m benchmarks.run` (benchmarks/results.json), with every
    row whose model changed since it was measured marked stale."""
    from benchmarks import run

    record = json.loads((REPO / "benchmarks" / "results.json").read_text())
    return run.table(record["models"], record["roofs_gflops"], record["machine"], record.get("date"))


def recurrent_table():
    """Every registered model's recurrent layers and whether each takes the cuDNN kernel on a
    GPU (and why not), as the last benchmark run read them from the layers' settings."""
    record = json.loads((REPO / "benchmarks" / "results.json").read_text())
    lines = ["| model | recurrent layer | kind | cuDNN on a GPU |", "|---|---|---|---|"]
    for row in record["models"]:
        for layer in row.get("recurrent", []):
            answer = "yes" if layer["cudnn"] else f"no: {layer['why']}"
            lines.append(f"| `{row['model']}` | `{layer['layer']}` | {layer['kind']} | {answer} |")
    return "\n".join(lines)


def cells_table():
    """The LSTM / GRU / tanh RNN table (markdown) of the runs `python -m benchmarks.cells` wrote
    into benchmarks/cells.json."""
    from benchmarks import cells

    return cells.summary(json.loads((REPO / "benchmarks" / "cells.json").read_text())["runs"])


# -- the README's table -----------------------------------------------------------------------------


def readme_with_table(text):
    """`text` (the README) with its model table, its table of class-conditional generators and
    its LSTM / GRU / RNN table replaced by the generated ones."""
    for start, end, table in ((TABLE_START, TABLE_END, model_table),
                              (CONDITIONAL_START, CONDITIONAL_END, conditional_table),
                              (CELLS_START, CELLS_END, cells_table)):
        if start not in text or end not in text:
            raise ValueError(f"README.md has no {start} … {end} block")
        head, rest = text.split(start, 1)
        text = f"{head}{start}\n{table()}\n{end}{rest.split(end, 1)[1]}"
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's model table")
    parser.add_argument("--page", metavar="NAME", help="print NAME's model page")
    args = parser.parse_args(argv)
    if args.readme:
        path = REPO / "README.md"
        path.write_text(readme_with_table(path.read_text()))
    if args.page:
        print(model_page(args.page))


if __name__ == "__main__":
    main()
