"""The oracle benchmark's summary: mean ± standard deviation over seeds, the adversarial point's
margin below the MLE model's temperature curve, the Markdown table and the quality-against-
diversity figure (`recipes.lstm_gan_text.benchmark` measures what they summarise)."""

import numpy as np

TEMPERATURES = (0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1, 1.2, 1.4)  # the MLE model's sweep
# SeqGAN (Yu et al. 2017, Table 1), NLL-oracle per token on its own random-LSTM oracle.
PUBLISHED = {"oracle (real data)": 5.750, "MLE": 9.038, "SeqGAN": 8.736}
TARGET_GAIN = 0.30  # nats per token: SeqGAN's published gain over its MLE


def mean_sd(values):
    values = np.asarray(values, np.float64)
    return {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0}


def spread(rows):
    """The mean and standard deviation over seeds of each measure of one table row."""
    out = {}
    for key in rows[0]:
        if key == "temperature":
            out[key] = rows[0][key]
            continue
        spread = mean_sd([r[key] for r in rows])
        out[key], out[key + "_sd"] = round(spread["mean"], 4), round(spread["sd"], 4)
    return out


def margin(point, sweep):
    """How far the point lies below the MLE temperature curve in NLL-oracle (positive: below),
    at the point's NLL-test: the smallest margin over the curve's branches that reach it (the
    curve is the sweep joined in temperature order), or None where none does."""
    rows = sorted(sweep, key=lambda r: r["temperature"])
    crossings = []
    for a, b in zip(rows, rows[1:]):
        low, high = sorted((a["nll_test"], b["nll_test"]))
        if low <= point["nll_test"] <= high:
            share = 0.0 if high == low else (point["nll_test"] - a["nll_test"]) / (b["nll_test"] - a["nll_test"])
            crossings.append(a["nll_oracle"] + share * (b["nll_oracle"] - a["nll_oracle"]))
    return min(crossings) - point["nll_oracle"] if crossings else None


def below_curve(point, sweep):
    """True when the point beats turning the MLE model's temperature: the MLE curve reaches the
    point's NLL-test, and wherever it does, it has a higher NLL-oracle than the point."""
    below = margin(point, sweep)
    return below is not None and below > 0


def table(table, runs, seeds):
    """Per token, mean ± sd over the seeds (each seed's value after it), per sequence beside."""
    def cell(row, key, per_seed):
        text = f"{row[key]:.3f} ± {row[key + '_sd']:.3f}"
        return text + (" (" + ", ".join(f"{v:.3f}" for v in per_seed) + ")" if len(per_seed) > 1 else "")

    lines = [f"| model | NLL-oracle / token (seeds {', '.join(map(str, seeds))}) | NLL-test / token | "
             "NLL-oracle / sequence | NLL-test / sequence |", "|---|---|---|---|---|"]
    for name, row in table.items():
        per_seed = {k: [r["rows"][name][k] for r in runs] for k in ("nll_oracle_per_token", "nll_test_per_token")}
        lines.append(f"| {name} | {cell(row, 'nll_oracle_per_token', per_seed['nll_oracle_per_token'])} | "
                     f"{cell(row, 'nll_test_per_token', per_seed['nll_test_per_token'])} | "
                     f"{row['nll_oracle']:.2f} ± {row['nll_oracle_sd']:.2f} | "
                     f"{row['nll_test']:.2f} ± {row['nll_test_sd']:.2f} |")
    return "\n".join(lines)


def plot(runs, seeds, length, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.8))
    # The adversarial points sit a few hundredths of a nat from the curves: an inset shows them
    # close up, in the empty lower-left corner of the plot.
    zoom = ax.inset_axes([0.07, 0.07, 0.32, 0.34])
    colours = plt.cm.tab10.colors
    for i, (seed, run) in enumerate(zip(seeds, runs)):
        colour = colours[i % len(colours)]
        sweep = sorted(run["sweep"], key=lambda r: r["temperature"])
        point = run["rows"]["adversarial"]
        for axes, label in ((ax, True), (zoom, False)):
            axes.plot([r["nll_test"] / length for r in sweep], [r["nll_oracle"] / length for r in sweep], "o-",
                      ms=3, color=colour, lw=1,
                      label=f"seed {seed}: MLE, temperatures {TEMPERATURES[0]}–{TEMPERATURES[-1]}" if label else None)
            axes.plot(point["nll_test"] / length, point["nll_oracle"] / length, "*", ms=13 if label else 10,
                      color=colour, markeredgecolor="black", label=f"seed {seed}: adversarial, T = 1" if label else None)
    points = np.array([[r["rows"]["adversarial"]["nll_test"], r["rows"]["adversarial"]["nll_oracle"]]
                       for r in runs]) / length
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    zoom.set_xlim(x0 - 0.03, x1 + 0.03)
    zoom.set_ylim(y0 - 0.2, y1 + 0.2)
    zoom.tick_params(labelsize=6)
    ax.indicate_inset_zoom(zoom, edgecolor="grey")
    ax.axhline(PUBLISHED["SeqGAN"], color="grey", ls=":", lw=1)
    ax.annotate(f"SeqGAN (paper): {PUBLISHED['SeqGAN']}", (ax.get_xlim()[0], PUBLISHED["SeqGAN"]), fontsize=7,
                va="bottom")
    ax.set_xlabel("NLL-test (nats / token): lower = more coverage")
    ax.set_ylabel("NLL-oracle (nats / token): lower = better quality")
    ax.legend(fontsize=6)
    ax.set_title("SeqGAN oracle: quality against diversity, per seed")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
