"""Metrics for generated text, as Texygen (Zhu et al., 2018) defines them for text GANs:

- BLEU-n: each generated sentence is scored against *all* the held-out sentences as its
  references (NLTK's `sentence_bleu`, uniform weights over 1..n-grams, smoothing method 1),
  and the scores are averaged over the generated sentences: quality.
- Self-BLEU-n: the same, with each generated sentence scored against the *other* generated
  sentences: high when the samples repeat each other (lower is more diverse).

With thousands of references, computing `sentence_bleu` per hypothesis is slow (it recounts
every reference each time). A sentence's modified precision only needs, for each n-gram, its
largest count in any one reference, and the brevity penalty only the reference lengths, so
both are gathered once here; the scores equal NLTK's (tests check this against NLTK).
"""

import bisect
import collections
import math

EPSILON = 0.1  # NLTK's SmoothingFunction().method1: 0 matches count as 0.1


def ngrams(tokens, n):
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


class _References:
    """For every n-gram (n ≤ max_n), its two largest counts in any one sentence and which
    sentence holds the largest, and the sorted sentence lengths (for the brevity penalty)."""

    def __init__(self, sentences, max_n):
        self.best = {}  # n-gram → (largest count, index of its sentence, second largest count)
        for index, sentence in enumerate(sentences):
            for n in range(1, max_n + 1):
                for gram, count in collections.Counter(ngrams(sentence, n)).items():
                    top, owner, second = self.best.get(gram, (0, -1, 0))
                    if count > top:
                        self.best[gram] = (count, index, top)
                    elif count > second:
                        self.best[gram] = (top, owner, count)
        self.lengths = sorted(len(s) for s in sentences)

    def max_count(self, gram, exclude):
        top, owner, second = self.best.get(gram, (0, -1, 0))
        return second if owner == exclude else top

    def closest_length(self, length, exclude_length=None):
        """The reference length closest to `length` (the shorter on a tie), optionally with one
        sentence of `exclude_length` left out."""
        lengths = self.lengths
        if exclude_length is not None:
            lengths = list(lengths)
            lengths.pop(bisect.bisect_left(lengths, exclude_length))
        i = bisect.bisect_left(lengths, length)
        candidates = lengths[max(0, i - 1): i + 1]
        return min(candidates, key=lambda r: (abs(r - length), r))


def _sentence_bleu(hypothesis, references, max_n, exclude=None):
    """BLEU of one token list; `exclude` is the index of a reference sentence to leave out."""
    if not hypothesis:
        return 0.0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        counts = collections.Counter(ngrams(hypothesis, n))
        matched = sum(min(c, references.max_count(g, exclude)) for g, c in counts.items())
        total = max(1, sum(counts.values()))
        if n == 1 and matched == 0:
            return 0.0  # NLTK: no unigram in common scores 0, smoothing or not
        log_sum += math.log((matched if matched else EPSILON) / total) / max_n
    length = len(hypothesis)
    reference_length = references.closest_length(length, None if exclude is None else length)
    brevity = 1.0 if length > reference_length else math.exp(1 - reference_length / length)
    return brevity * math.exp(log_sum)


def bleu(hypotheses, references, max_n):
    """Mean BLEU-`max_n` of token lists `hypotheses`, each against all token lists `references`."""
    if not hypotheses or not references:
        raise ValueError("bleu needs at least one hypothesis and one reference sentence.")
    table = _References(references, max_n)
    return sum(_sentence_bleu(h, table, max_n) for h in hypotheses) / len(hypotheses)


def self_bleu(sentences, max_n):
    """Mean BLEU-`max_n` of each of `sentences` against all the others (Texygen's Self-BLEU)."""
    if len(sentences) < 2:
        raise ValueError("self_bleu needs at least two sentences.")
    table = _References(sentences, max_n)
    return sum(_sentence_bleu(s, table, max_n, exclude=i) for i, s in enumerate(sentences)) / len(sentences)
