"""The lab transformer of src/lab/models/transformer.ts in PyTorch, trained on the CPU with
the same architecture, batch and optimizer as bench/lab-train.ts, to compare throughput.

Pre-LayerNorm blocks (causal multi-head attention without biases, GELU MLP with biases,
tanh-approximate GELU as jax-js computes it), learned absolute positions, separate
unembedding with bias; AdamW (decay 0.1, matrices only), global-norm clipping at 1,
constant learning rate. Tokens are uniform random: throughput does not depend on them.

usage: lab_train.py CONFIG_JSON   prints one JSON line:
  {"torch": version, "threads": n, "tokensPerSecond": x, "msPerStep": y, "parameters": p}
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads, hidden):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, eps=1e-5)
        self.query = nn.Linear(width, width, bias=False)
        self.key = nn.Linear(width, width, bias=False)
        self.value = nn.Linear(width, width, bias=False)
        self.output = nn.Linear(width, width, bias=False)
        self.norm2 = nn.LayerNorm(width, eps=1e-5)
        self.mlp_in = nn.Linear(width, hidden)
        self.mlp_out = nn.Linear(hidden, width)

    def forward(self, h, bias):
        b, t, d = h.shape
        x = self.norm1(h)
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        logits = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + bias
        mixed = (logits.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        h = h + self.output(mixed)
        return h + self.mlp_out(F.gelu(self.mlp_in(self.norm2(h)), approximate="tanh"))


class Transformer(nn.Module):
    def __init__(self, vocab, max_length, width, depth, heads, mlp_ratio):
        super().__init__()
        self.token = nn.Embedding(vocab, width)
        self.position = nn.Parameter(torch.randn(max_length, width) * 0.5)
        self.blocks = nn.ModuleList(Block(width, heads, mlp_ratio * width) for _ in range(depth))
        self.final = nn.LayerNorm(width, eps=1e-5)
        self.unembedding = nn.Linear(width, vocab)

    def forward(self, inputs):
        t = inputs.shape[1]
        h = self.token(inputs) + self.position[:t]
        mask = torch.full((t, t), -1e9).triu(1)
        for block in self.blocks:
            h = block(h, mask)
        return self.unembedding(self.final(h))


def main():
    config = json.loads(sys.argv[1])
    if config.get("threads"):
        torch.set_num_threads(int(config["threads"]))
    torch.manual_seed(config["seed"])
    model = Transformer(config["vocabSize"], config["maxLength"], config["width"], config["depth"], config["heads"], config["mlpRatio"])
    decay = [p for n, p in model.named_parameters() if p.ndim == 2 and n not in ("token.weight", "position")]
    rest = [p for n, p in model.named_parameters() if not (p.ndim == 2 and n not in ("token.weight", "position"))]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=config["lr"])
    generator = torch.Generator().manual_seed(config["seed"])

    def step():
        tokens = torch.randint(0, config["vocabSize"], (config["batch"], config["length"]), generator=generator)
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, config["vocabSize"]), tokens[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    for _ in range(config["warmupSteps"]):
        step()
    started = time.perf_counter()
    for _ in range(config["timedSteps"]):
        step()
    seconds = time.perf_counter() - started
    tokens = config["timedSteps"] * config["batch"] * (config["length"] - 1)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "tokensPerSecond": tokens / seconds,
        "msPerStep": 1000 * seconds / config["timedSteps"],
        "parameters": sum(p.numel() for p in model.parameters()),
    }))


if __name__ == "__main__":
    main()
