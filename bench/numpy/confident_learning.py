"""Confident learning in NumPy, timed: the reference side of bench/numpy/confident-learning.ts.

The algorithm is test/fixtures/label-issues/cleanlab_reference.py (a NumPy restatement of
cleanlab 2.x's defaults: calibrated confident joint, prune_by_noise_rate / prune_by_class /
both, min_examples_per_class=1, frac_noise=1, issues ranked by self-confidence), plus the
"Pervasive Label Errors" method (uncalibrated joint, floor((1 - trace/sum) * n) lowest
normalized margins). numpy's default argsort, as cleanlab calls it.

Usage: python3 confident_learning.py WARMUP REPEATS NAME PROBS.npy LABELS.npy [NAME PROBS LABELS ...]
Prints one JSON object: per NAME and method, the median wall milliseconds of REPEATS runs
(after WARMUP untimed ones; loading the arrays is not timed) and the ranked indices.
"""
import json
import sys
import time

import numpy as np


def thresholds(labels, probs):
    k = probs.shape[1]
    present = set(np.unique(labels).tolist())
    t = [np.mean(probs[:, c][labels == c]) if c in present else 2.0 for c in range(k)]
    return np.clip(t, 2e-6, None)


def confident_joint(labels, probs, calibrate):
    k = probs.shape[1]
    confident = probs >= thresholds(labels, probs) - 1e-6
    counts = confident.sum(axis=1)
    guess = np.where(counts > 1, probs.argmax(axis=1), confident.argmax(axis=1))
    rows = counts > 0
    joint = np.zeros((k, k), dtype=np.int64)
    np.add.at(joint, (labels[rows], guess[rows]), 1)
    np.fill_diagonal(joint, np.maximum(joint.diagonal(), 1))
    if calibrate:
        label_counts = np.bincount(labels, minlength=k)
        cal = (joint.T / np.clip(joint.sum(axis=1), 1e-100, None) * label_counts).T
        cal = cal / np.clip(cal.sum(), 1e-100, None) * label_counts.sum()
        joint = np.array([round_keeping_sum(row) for row in cal])
    return joint


def round_keeping_sum(values):
    floats = np.asarray(values, dtype=float)
    ints = floats.round()
    target = floats.sum().round()
    total = ints.sum().round()
    while abs(total - target) > 1e-6:
        diff = np.round(target - total)
        step = -1 if diff < 0 else 1
        changes = min(int(abs(diff)), len(floats))
        for i in np.argsort(floats - ints)[::-step][:changes]:
            ints[i] += step
        total = ints.sum().round()
    return ints.astype(int)


def prune_matrix(joint, keep=1):
    m = joint.T.astype(float)
    diag = np.diagonal(m).copy()
    new_diag = np.maximum(diag, keep)
    per_col = np.maximum(np.count_nonzero(m, axis=0) - 1.0, 1.0)
    m = m - (new_diag - diag) / per_col
    m[m < 0] = 0
    np.fill_diagonal(m, new_diag)
    return m.astype(int)


def find_issues(labels, probs, filter_by):
    k = probs.shape[1]
    pcm = prune_matrix(confident_joint(labels, probs, calibrate=True))
    by_class = np.zeros(len(labels), dtype=bool)
    by_noise = np.zeros(len(labels), dtype=bool)
    for c in range(k):
        idx = np.nonzero(labels == c)[0]
        if len(idx) <= 1:
            continue
        p = probs[idx]
        n_issues = len(idx) - pcm[c][c]
        if n_issues >= 1:
            by_class[idx[np.argsort(p[:, c])[:n_issues]]] = True
        for j in range(k):
            n = pcm[j][c]
            if j != c and n > 0:
                by_noise[idx[np.argsort(-(p[:, j] - p[:, c]))[:n]]] = True
    mask = {'prune_by_noise_rate': by_noise, 'prune_by_class': by_class, 'both': by_noise & by_class}[filter_by]
    mask = mask & (probs.argmax(axis=1) != labels)
    issues = np.nonzero(mask)[0]
    return issues[np.argsort(probs[issues, labels[issues]])]


def paper_issues(labels, probs):
    joint = confident_joint(labels, probs, calibrate=False)
    n = len(labels)
    count = int(np.floor((1 - np.trace(joint) / joint.sum()) * n))
    rows = np.arange(n)
    self_conf = probs[rows, labels]
    others = probs.copy()
    others[rows, labels] = -np.inf
    margin = self_conf - others.max(axis=1)
    return np.argsort(margin)[:count]


METHODS = {
    'prune_by_noise_rate': lambda l, p: find_issues(l, p, 'prune_by_noise_rate'),
    'prune_by_class': lambda l, p: find_issues(l, p, 'prune_by_class'),
    'both': lambda l, p: find_issues(l, p, 'both'),
    'paper': paper_issues,
}


def main():
    warmup, repeats = int(sys.argv[1]), int(sys.argv[2])
    rest = sys.argv[3:]
    out = {'numpy': np.__version__, 'sets': {}}
    for at in range(0, len(rest), 3):
        name, probs_file, labels_file = rest[at:at + 3]
        probs = np.load(probs_file)
        labels = np.load(labels_file).astype(np.int64)
        entry = {}
        for method, run in METHODS.items():
            for _ in range(warmup):
                run(labels, probs)
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                indices = run(labels, probs)
                times.append(time.perf_counter() - started)
            entry[method] = {'ms': float(np.median(times)) * 1000, 'indices': indices.tolist()}
        out['sets'][name] = entry
    print(json.dumps(out))


main()
