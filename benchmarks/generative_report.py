"""How `benchmarks.generative` shows what it measured: the Markdown table of the image
generators, the table of the text generator's oracle benchmark, and a figure of each model's
samples."""


COLUMNS = ["model", "samples", "reference", "score ratio (LSTM judge)", "FD / floor (LSTM judge)",
           "score ratio (conv judge)", "FD / floor (conv judge)", "NLL (nats, first {nll} binarised test images)",
           "classes (entropy ÷ ln 10, conv judge)", "NN distance ÷ real's", "parameters", "training",
           "images/s b1 / b64", "peak memory (MB)"]


def table(results, nll_examples):
    """The Markdown table of the image generators: a row per model and kind of samples (an
    error row for a model that could not be measured)."""
    columns = [c.format(nll=f"{nll_examples:,}") for c in COLUMNS]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for result in results:
        if "error" in result:
            error = " ".join(result["error"].replace("|", "/").split())
            lines.append(f"| `{result['model']}` | error: {error} |" + " |" * (len(columns) - 2))
            continue
        nll = result["likelihood"]
        nll_text = "–" if nll is None else f"{nll['nll']:.2f} ({nll['kind']})"
        for row in result["rows"]:
            nn = f"{row['nn_distance_ratio']:.2f}" if "nn_distance_ratio" in row else "–"
            lines.append(
                f"| `{result['model']}` | {row['samples']} | {row['reference']} | "
                f"{row['classifier_score_ratio']:.3f} | {row['frechet_distance']:.2f} / {row['frechet_distance_floor']:.2f} | "
                f"{row['classifier_score_ratio_conv']:.3f} | "
                f"{row['frechet_distance_conv']:.2f} / {row['frechet_distance_floor_conv']:.2f} | {nll_text} | "
                f"{row['class_entropy']:.3f} | {nn} | {result['parameters']:,} | "
                f"{_minutes(result['training_seconds'])} | "
                f"{result['sample_b1_per_s']:.1f} / {result['sample_b64_per_s']:.0f} | {result['peak_memory_mb']:.0f} |")
    return "\n".join(lines)


def _minutes(seconds):
    return "–" if seconds is None else f"{seconds / 60:.1f} min"


def text_table(card):
    """MLE against adversarial training of the LSTM text generator (the oracle benchmark's card:
    the mean ± standard deviation over its seeds), per token, beside SeqGAN's published figures."""
    from recipes.lstm_gan_text.benchmark import PUBLISHED

    rows = card["table"]
    seeds = card.get("seeds", [card.get("seed", 0)])
    lines = [f"| text model (oracle benchmark) | NLL-oracle / token (zoo, seeds {', '.join(map(str, seeds))}) | "
             "NLL-test / token (zoo) | NLL-oracle / token (SeqGAN paper) |", "|---|---|---|---|"]
    published = {"oracle": "oracle (real data)", "mle": "MLE", "adversarial": "SeqGAN"}

    def value(row, key):
        return f"{row[key]:.3f}" + (f" ± {row[key + '_sd']:.3f}" if key + "_sd" in row else "")

    for name in ("oracle", "mle", "adversarial"):
        if name in rows:
            lines.append(f"| {name} | {value(rows[name], 'nll_oracle_per_token')} | "
                         f"{value(rows[name], 'nll_test_per_token')} | {PUBLISHED[published[name]]:.3f} |")
    return "\n".join(lines)


def figure(results, grids, path):
    """A PNG at `path`: the first 64 samples (`grids[name]`, uint8) of each measured model, titled
    with their score ratios."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo import atomic
    from zoo.plots import image_grid

    shown = [r for r in results if r["model"] in grids]
    fig, axes = plt.subplots(1, max(1, len(shown)), figsize=(3.2 * max(1, len(shown)), 3.6), squeeze=False)
    for ax, result in zip(axes[0], shown):
        ax.imshow(image_grid(grids[result["model"]], columns=8)[..., 0], cmap="gray", vmin=0, vmax=1)
        row = result["rows"][0]
        ax.set_title(f"{result['model']} ({row['samples']})\nscore ratio {row['classifier_score_ratio']:.2f} / "
                     f"{row['classifier_score_ratio_conv']:.2f} (conv)", fontsize=9)
        ax.axis("off")
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
