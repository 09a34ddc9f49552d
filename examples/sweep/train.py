"""A small real training script for `ladder run` (needs PyTorch: `pip install torch`).

The task: x ~ N(0, I_16), label = [x0 * x1 + 0.5 * x2 > 0], 10% of the training labels
flipped, a clean validation set. A linear classifier cannot see the product term; one hidden
ReLU layer can. Adam, full control from the command line, one JSON line per logged step in
OUT/metrics.jsonl (`train/loss`, `val/loss`, `val/accuracy`) — a format ladder reads.

    python3 train.py --arch mlp --lr 3e-3 --seed 0 --out runs/one
"""
import argparse
import json
import os

import torch
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", choices=["linear", "mlp"], required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)

    data = torch.Generator().manual_seed(1234)  # the same data for every trial
    def sample(n: int, noise: float):
        x = torch.randn(n, 16, generator=data)
        y = ((x[:, 0] * x[:, 1] + 0.5 * x[:, 2]) > 0).long()
        flip = torch.rand(n, generator=data) < noise
        return x, torch.where(flip, 1 - y, y)
    x_train, y_train = sample(4000, 0.1)
    x_val, y_val = sample(2000, 0.0)

    torch.manual_seed(args.seed)
    model = nn.Linear(16, 2) if args.arch == "linear" else nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    batches = torch.Generator().manual_seed(args.seed)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "metrics.jsonl"), "w") as log:
        for step in range(args.steps + 1):
            if step % 25 == 0 or step == args.steps:
                with torch.no_grad():
                    logits = model(x_val)
                    record = {
                        "step": step,
                        "val": {"loss": loss_fn(logits, y_val).item(), "accuracy": (logits.argmax(1) == y_val).float().mean().item()},
                    }
                log.write(json.dumps(record) + "\n")
            if step == args.steps:
                break
            index = torch.randint(0, len(x_train), (64,), generator=batches)
            loss = loss_fn(model(x_train[index]), y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 10 == 0:
                log.write(json.dumps({"step": step, "train": {"loss": loss.item()}}) + "\n")


if __name__ == "__main__":
    main()
