"""The shipped weights: their model card's metric is re-measured from the shared test data, and
the README shows the card's number."""

import re
from pathlib import Path

import pytest

import zoo
from zoo import cards
from zoo.registry import get_entry

README = Path(__file__).resolve().parent.parent / "README.md"
SHIPPED = [n for n in zoo.list_models() if (cards.saved_models_dir() / n / cards.CARD).exists()]

# Tolerance of the re-measurement, in the metric's own units (0.001 = 0.1 accuracy points):
# the same weights on the same data differ only by float rounding across CPUs.
TOLERANCE = {"test_accuracy": 0.001}


def test_the_first_model_ships_weights():
    assert "lstm_image_classifier" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_metric_is_remeasured_within_tolerance(name):
    card = cards.read_card(cards.saved_models_dir() / name)
    model = zoo.load(name, weights="pretrained")
    measured = get_entry(name).recipe_module().evaluate(
        model, dataset=card["dataset"]["name"], max_examples=card["dataset"]["test_examples"]
    )
    metric = get_entry(name).metric
    assert measured[metric] == pytest.approx(card["metrics"][metric], abs=TOLERANCE.get(metric, 1e-3))


def test_lstm_image_classifier_reaches_its_target():
    card = cards.read_card(cards.saved_models_dir() / "lstm_image_classifier")
    assert card["dataset"]["name"] == "mnist" and card["dataset"]["test_examples"] == 10_000
    assert card["metrics"]["test_accuracy"] >= 0.990
    assert card["training_seconds"] <= 15 * 60 and card["environment"]["cpu_count"] <= 2


@pytest.mark.parametrize("name", SHIPPED)
def test_readme_table_shows_the_card_metric(name):
    card = cards.read_card(cards.saved_models_dir() / name)
    metric = get_entry(name).metric
    row = next((line for line in README.read_text().splitlines() if line.startswith(f"| `{name}`")), None)
    assert row is not None, f"README's model table has no row for {name}"
    shown = re.findall(r"(\d+\.\d+) ?%", row)
    assert shown and float(shown[0]) == pytest.approx(100 * card["metrics"][metric], abs=0.005), row
