"""How a likelihood model's samples change with its sampling temperature τ (`sample_temperature`:
a VAE's z = mean + τ·σ·noise, a pixel LSTM's p = sigmoid(logit / τ)): the Fréchet distance,
classifier-score ratio and (for a conditional model) the share drawn as the class asked for,
under both judges, on a grid of temperatures.

    python -m benchmarks.temperature                        # vae_conditional, τ 0.7 … 1.0
    python -m benchmarks.temperature --model pixel_lstm_conditional --temperatures 0.9,0.95,1.0

The samples are drawn with seed 1, not the cards' seed (`zoo.quality.SAMPLE_SEED`): the grid
chooses a model's `sample_temperature` (the one whose samples are closest to the real digits,
the lowest Fréchet distance under both judges), and its card then measures it on other draws.
Written to benchmarks/temperature_<model>.md (a table; `--output` elsewhere). `--seed 12345`
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


def sweep(name, temperatures, samples=10_000, seed=SEED, data_dir=None):
    """{τ: the sample measures (`zoo.quality`) of `samples` draws of the shipped `name` at τ}."""
    model = zoo.load(name, weights="pretrained")
    measure = quality.conditional_image_quality if model.num_classes else quality.generated_image_quality
    results = {}
    for temperature in temperatures:
        model.sample_temperature = temperature
        results[temperature] = measure(model, dataset="mnist", model_name=name, samples=samples, seed=seed,
                                       data_dir=data_dir)
        print(f"τ = {temperature}: {results[temperature]}", flush=True)
    return results


def table(name, results, seed=SEED):
    """The markdown table of `sweep`'s results, each measure under the first judge / the second;
    the lowest Fréchet distance under each judge in bold."""
    columns = [c for c in COLUMNS if c[0] in next(iter(results.values()))]
    best = {suffix: min(results, key=lambda t: results[t]["frechet_distance" + suffix]) for suffix in ("", "_conv")}
    samples = next(iter(results.values()))["quality_samples"]
    lines = [f"`{name}`, {samples:,} samples at each temperature τ (seed {seed}); each measure under the first "
             f"judge / the second; the lowest Fréchet distance under each judge in bold.", "",
             "| τ | " + " | ".join(title for _, title, _ in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for temperature, measured in results.items():
        cells = []
        for key, _, form in columns:
            pair = []
            for suffix in ("", "_conv"):
                text = form.format(measured[key + suffix])
                pair.append(f"**{text}**" if key == "frechet_distance" and best[suffix] == temperature else text)
            cells.append(" / ".join(pair))
        lines.append(f"| {temperature} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.temperature", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="vae_conditional",
                        help="a shipped model with a sample_temperature: vae, pixel_lstm or their conditional variants "
                             "(default: vae_conditional)")
    parser.add_argument("--temperatures", default="0.7,0.8,0.85,0.9,0.95,1.0", help="comma-separated τ values")
    parser.add_argument("--samples", type=int, default=10_000, help="samples at each temperature")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the draws' seed (default: {SEED}, not the cards')")
    parser.add_argument("--data-dir", default=None, help="TFDS data folder (default: TFDS_DATA_DIR or TFDS's)")
    parser.add_argument("--output", default=None, help="the table's file (default: benchmarks/temperature_<model>.md)")
    args = parser.parse_args(argv)
    try:
        temperatures = [float(t) for t in args.temperatures.split(",")]
    except ValueError:
        temperatures = []
    if not temperatures or not all(0 < t < float("inf") for t in temperatures):
        parser.error(f"--temperatures must be positive numbers separated by commas (e.g. 0.9,1.0), got "
                     f"{args.temperatures!r}")
    if "sample_temperature" not in zoo.registry.get_entry(args.model).default_config():
        parser.error(f"{args.model} has no sample_temperature; models with one: vae, pixel_lstm and their "
                     f"conditional variants")
    results = sweep(args.model, temperatures, args.samples, seed=args.seed, data_dir=args.data_dir)
    text = table(args.model, results, args.seed)
    output = pathlib.Path(args.output or pathlib.Path(__file__).with_name(f"temperature_{args.model}.md"))
    partial = output.with_name(output.name + ".partial")
    partial.write_text(text)
    partial.replace(output)
    print(text)


if __name__ == "__main__":
    main()
