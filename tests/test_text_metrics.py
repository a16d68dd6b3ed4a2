"""BLEU and Self-BLEU as Texygen defines them: NLTK's sentence_bleu (smoothing method 1) of each
sentence against every reference, averaged; ours gathers the references' counts once."""

import math

import numpy as np
import pytest

from zoo import text_metrics

WORDS = "a man dog rides the horse on beach with red ball".split()


def random_sentences(n, seed):
    rng = np.random.default_rng(seed)
    return [list(rng.choice(WORDS, size=rng.integers(1, 12))) for _ in range(n)]


def test_a_sentence_found_among_the_references_scores_one():
    references = [["a", "man", "rides", "a", "horse"], ["the", "dog", "runs"]]
    assert text_metrics.bleu([references[0]], references, 4) == pytest.approx(1.0)


def test_no_word_in_common_scores_zero_and_a_short_sentence_is_penalised():
    references = [["a", "man", "rides", "a", "horse", "on", "the", "beach"]]
    assert text_metrics.bleu([["zebra"]], references, 2) == 0.0
    # "a man": both unigrams and the bigram match, but it is 2 words against 8.
    assert text_metrics.bleu([["a", "man"]], references, 2) == pytest.approx(math.exp(1 - 8 / 2))


def test_self_bleu_leaves_each_sentence_out_of_its_own_references():
    same = [["a", "man", "rides", "a", "horse"]] * 3
    assert text_metrics.self_bleu(same, 3) == pytest.approx(1.0)
    distinct = [["a", "man"], ["the", "dog"], ["red", "ball"]]
    assert text_metrics.self_bleu(distinct, 2) == 0.0


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_equals_nltk_sentence_bleu(n):
    nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")
    smoothing = nltk_bleu.SmoothingFunction().method1
    weights = (1 / n,) * n
    hypotheses, references = random_sentences(40, 1), random_sentences(60, 2)
    expected = np.mean([nltk_bleu.sentence_bleu(references, h, weights, smoothing_function=smoothing)
                        for h in hypotheses])
    assert text_metrics.bleu(hypotheses, references, n) == pytest.approx(expected, rel=1e-9)
    expected_self = np.mean([
        nltk_bleu.sentence_bleu(hypotheses[:i] + hypotheses[i + 1:], h, weights, smoothing_function=smoothing)
        for i, h in enumerate(hypotheses)])
    assert text_metrics.self_bleu(hypotheses, n) == pytest.approx(expected_self, rel=1e-9)


def test_empty_inputs_are_refused():
    with pytest.raises(ValueError, match="at least one hypothesis"):
        text_metrics.bleu([], [["a"]], 2)
    with pytest.raises(ValueError, match="at least two"):
        text_metrics.self_bleu([["a"]], 2)
