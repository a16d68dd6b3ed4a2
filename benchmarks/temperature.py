"""How a likelihood model's samples change with its sampling temperature τ (`sample_temperature`:
a VAE's z = mean + τ·σ·noise, a pixel LSTM's p = sigmoid(logit / τ)), and a guided model's with
its classifier-free guidance w (`guidance`): the Fréchet distance, classifier-score ratio and
(for a conditional model) the share drawn as the class asked for, under both judges, on a grid.

    python -m benchmarks.temperature                        # vae_conditional, τ 0.7 … 1.0
    python -m benchmarks.temperature --model pixel_lstm --temperatures 0.9,0.95,1.0
    python -m benchmarks.temperature --model pixel_lstm_conditional --temperatures 0.95 --guidance 0,0.1,0.2,0.3

The samples are drawn with seed 1, not the cards' seed (`zoo.quality.SAMPLE_SEED`): the grid
chooses a model's `sample_temperature` (the one whose samples are closest to the real digits,
the lowest Fréchet distance under both judges), and its card then measures it on other draws.
Written to benchmarks/temperature_<model>.md (temperature_<model>_guided.md with `--guidance`; `--output` elsewhere). `--seed 12345`
measures the cards' own draws instead.
"""

import argparse
import pathlib

import zoo
from zoo import quality

SEED = 1  # not quality.SAMPLE_SEED: the card re-measures the chosen temperature on other draws
COLUMNS = [("frechet_distance", "Fréchet distance", "{:.3f}"), ("classifier_score_ratio", "score ratio", "{:.4f}"),
           ("class_frechet_distance", "per-class Fréchet distance", "{:.3f}"),
           ("conditional_accuracy", "drawn as asked", "{:.2%}")]


def sweep(name, temperatures, samples=10_000, seed=SEED, data_dir=None, guidance=None, weights="pretrained"):
    """{τ: the sample measures (`zoo.quality`) of `samples` draws of `name` (its `weights`: the
    shipped ones, or a trained folder) at τ}; with `guidance` (a list of w), {(τ, w): …} for each pair."""
    model = zoo.load(name, weights=weights)
    if guidance:  # before any measuring: a model that cannot be guided says so
        with model.sampling_as(guidance=max(guidance)):
            pass
    measure = quality.conditional_image_quality if model.num_classes else quality.generated_image_quality
    results = {}
    for key in [(t, w) for t in temperatures for w in guidance] if guidance else temperatures:
        fields = dict(sample_temperature=key[0], guidance=key[1]) if guidance else dict(sample_temperature=key)
        with model.sampling_as(**fields):
            results[key] = measure(model, dataset="mnist", model_name=name, samples=samples, seed=seed,
                                   data_dir=data_dir)
        print(f"{_label(key)}: {results[key]}", flush=True)
    return results


def _label(key):
    return f"τ = {key[0]}, w = {key[1]}" if isinstance(key, tuple) else f"τ = {key}"


def table(name, results, seed=SEED, weights="pretrained"):
    """The markdown table of `sweep`'s results (a row per τ, or per τ and w), each measure under
    the first judge / the second; the lowest Fréchet distance under each judge in bold."""
    columns = [c for c in COLUMNS if c[0] in next(iter(results.values()))]
    best = {suffix: min(results, key=lambda t: results[t]["frechet_distance" + suffix]) for suffix in ("", "_conv")}
    samples = next(iter(results.values()))["quality_samples"]
    guided = isinstance(next(iter(results)), tuple)
    source = "" if weights == "pretrained" else f" (the weights of {weights})"
    lines = [f"`{name}`{source}, {samples:,} samples at each temperature τ{' and guidance w' if guided else ''} (seed {seed}); "
             f"each measure under the first judge / the second; the lowest Fréchet distance under each judge in bold.",
             "", f"| {'τ | w' if guided else 'τ'} | " + " | ".join(title for _, title, _ in columns) + " |",
             "|---" * (len(columns) + 1 + guided) + "|"]
    for temperature, measured in results.items():
        cells = []
        for key, _, form in columns:
            pair = []
            for suffix in ("", "_conv"):
                text = form.format(measured[key + suffix])
                pair.append(f"**{text}**" if key == "frechet_distance" and best[suffix] == temperature else text)
            cells.append(" / ".join(pair))
        key = " | ".join(map(str, temperature)) if guided else temperature
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.temperature", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="vae_conditional",
                        help="a shipped model with a sample_temperature: vae, pixel_lstm or their conditional variants "
                             "(default: vae_conditional)")
    parser.add_argument("--temperatures", default="0.7,0.8,0.85,0.9,0.95,1.0", help="comma-separated τ values")
    parser.add_argument("--guidance", default=None,
                        help="comma-separated classifier-free guidance values w, each measured at every τ (a model "
                             "with label_dropout above 0: pixel_lstm_conditional); default: the model's own")
    parser.add_argument("--weights", default="pretrained",
                        help="the shipped weights (default) or a trained model folder")
    parser.add_argument("--samples", type=int, default=10_000, help="samples at each temperature")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the draws' seed (default: {SEED}, not the cards')")
    parser.add_argument("--data-dir", default=None, help="TFDS data folder (default: TFDS_DATA_DIR or TFDS's)")
    parser.add_argument("--output", default=None,
                        help="the table's file (default: benchmarks/temperature_<model>.md, or temperature_<model>_guided.md "
                             "with --guidance; with --weights other than the shipped ones, no default: name it)")
    args = parser.parse_args(argv)
    try:
        temperatures = [float(t) for t in args.temperatures.split(",")]
    except ValueError:
        temperatures = []
    if not temperatures or not all(0 < t < float("inf") for t in temperatures):
        parser.error(f"--temperatures must be positive numbers separated by commas (e.g. 0.9,1.0), got "
                     f"{args.temperatures!r}")
    try:
        guidance = None if args.guidance is None else [float(w) for w in args.guidance.split(",")]
    except ValueError:
        guidance = []
    if guidance is not None and not (guidance and all(0 <= w < float("inf") for w in guidance)):
        parser.error(f"--guidance must be numbers of at least 0 separated by commas (e.g. 0,1,2), got {args.guidance!r}")
    if guidance is not None and "guidance" not in zoo.registry.get_entry(args.model).default_config():
        parser.error(f"{args.model} has no guidance; the model with one: pixel_lstm_conditional")
    if "sample_temperature" not in zoo.registry.get_entry(args.model).default_config():
        parser.error(f"{args.model} has no sample_temperature; models with one: vae, pixel_lstm and their "
                     f"conditional variants")
    if args.weights != "pretrained" and args.output is None:
        parser.error("--weights other than the shipped ones needs --output: the default files are the shipped "
                     "models' tables, which the docs include")
    try:
        results = sweep(args.model, temperatures, args.samples, seed=args.seed, data_dir=args.data_dir,
                        guidance=guidance, weights=args.weights)
    except zoo.ConfigError as error:
        parser.error(str(error))
    text = table(args.model, results, args.seed, args.weights)
    default = f"temperature_{args.model}{'_guided' if guidance is not None else ''}.md"
    output = pathlib.Path(args.output or pathlib.Path(__file__).with_name(default))
    partial = output.with_name(output.name + ".partial")
    partial.write_text(text)
    partial.replace(output)
    print(text)


if __name__ == "__main__":
    main()
