"""The generative-image metrics on cases whose answer is known."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoo import metrics


def test_identical_sets_are_at_distance_zero():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert metrics.frechet_distance(features, features) == pytest.approx(0, abs=1e-8)


@settings(max_examples=30, deadline=None)
@given(
    dim=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_gaussian_distance_matches_the_closed_form_for_diagonal_covariances(dim, seed):
    """For diagonal Σ: ‖Δμ‖² + Σᵢ (√aᵢ − √bᵢ)²."""
    rng = np.random.default_rng(seed)
    mean_a, mean_b = rng.normal(size=dim), rng.normal(size=dim)
    var_a, var_b = rng.uniform(0.1, 4, dim), rng.uniform(0.1, 4, dim)
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    got = metrics.frechet_distance_from_moments(mean_a, np.diag(var_a), mean_b, np.diag(var_b))
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_shifted_gaussian_samples_are_at_the_squared_shift():
    rng = np.random.default_rng(1)
    shift = np.array([3.0, 0.0, -4.0])
    a = rng.normal(size=(20_000, 3))
    b = rng.normal(size=(20_000, 3)) + shift
    assert metrics.frechet_distance(a, b) == pytest.approx(25.0, rel=0.02)


def test_distance_is_symmetric_and_nonnegative_for_correlated_features():
    rng = np.random.default_rng(2)
    mixing = rng.normal(size=(5, 5))
    a = rng.normal(size=(400, 5)) @ mixing
    b = rng.normal(size=(400, 5)) @ mixing.T + 1
    assert metrics.frechet_distance(a, b) == pytest.approx(metrics.frechet_distance(b, a), rel=1e-6)
    assert metrics.frechet_distance(a, b) > 0


def test_one_class_scores_one_and_confident_balanced_classes_score_their_number():
    one_class = np.tile([10.0, 0, 0, 0], (100, 1))
    assert metrics.classifier_score(one_class) == pytest.approx(1.0, abs=1e-6)
    balanced = np.tile(np.eye(10) * 50.0, (20, 1))
    assert metrics.classifier_score(balanced) == pytest.approx(10.0, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 50), classes=st.integers(2, 12), seed=st.integers(0, 2**16))
def test_classifier_score_lies_between_one_and_the_number_of_classes(n, classes, seed):
    logits = np.random.default_rng(seed).normal(scale=5, size=(n, classes))
    assert 1 - 1e-9 <= metrics.classifier_score(logits) <= classes + 1e-9


def test_too_few_features_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\[n >= 2, d\]"):
        metrics.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
