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
import pathlib
import sys
import time

import numpy as np

# The algorithm is the test fixture's NumPy restatement of cleanlab's defaults: one copy.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'label-issues'))
from cleanlab_reference import confident_joint, find_issues  # noqa: E402


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
    'prune_by_noise_rate': lambda l, p: find_issues(l, p, 'prune_by_noise_rate')[0],
    'prune_by_class': lambda l, p: find_issues(l, p, 'prune_by_class')[0],
    'both': lambda l, p: find_issues(l, p, 'both')[0],
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
