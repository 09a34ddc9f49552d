"""Synthetic tasks shared by the example training scripts.

Every task is generated from a fixed random "teacher", so the data needs no download and
the runs are reproducible from a seed. Two tasks:

- teacher_tokens: sequences of tokens; the label is the argmax of a fixed random linear
  score summed over the tokens (a bag-of-tokens teacher). A small transformer can learn it.
- teacher_vectors: Gaussian feature vectors labelled by a fixed random 2-layer tanh network,
  with an optional fraction of labels replaced by random ones (label noise), which is what
  makes a large model able to memorise the training set and overfit.
"""
from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def teacher_tokens(n: int, *, vocab: int, length: int, classes: int, task_seed: int, sample_seed: int):
    """Returns (input_ids [n, length] int64, labels [n] int64)."""
    teacher = np.random.default_rng(task_seed).normal(size=(vocab, classes))
    rng = np.random.default_rng(sample_seed)
    ids = rng.integers(0, vocab, size=(n, length))
    scores = teacher[ids].sum(axis=1)
    labels = scores.argmax(axis=1)
    return torch.from_numpy(ids.astype(np.int64)), torch.from_numpy(labels.astype(np.int64))


def teacher_vectors(n: int, *, dim: int, classes: int, task_seed: int, sample_seed: int, label_noise: float = 0.0):
    """Returns (features [n, dim] float32, labels [n] int64)."""
    task = np.random.default_rng(task_seed)
    w1 = task.normal(size=(dim, 64)) / np.sqrt(dim)
    w2 = task.normal(size=(64, classes)) / np.sqrt(64)
    rng = np.random.default_rng(sample_seed)
    x = rng.normal(size=(n, dim))
    labels = (np.tanh(x @ w1) @ w2).argmax(axis=1)
    if label_noise > 0:
        flip = rng.random(n) < label_noise
        labels[flip] = rng.integers(0, classes, size=int(flip.sum()))
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(labels.astype(np.int64))
