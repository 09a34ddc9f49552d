"""Plain PyTorch loop logging to TensorBoard (torch.utils.tensorboard.SummaryWriter), with a
learning rate far too low: the loss barely moves from its initial value, about ln(10).

Task: 10-class classification of 32-dimensional Gaussian vectors labelled by a fixed random
teacher network. Model: MLP 32-256-256-10 trained with plain SGD at lr 1e-5 (the same model
reaches well below ln(10) within the same steps at lr 0.1, as `--lr 0.1` shows).

Scalars written: train/loss, train/grad_norm, train/lr (every 10 steps); val/loss and
val/accuracy (every 100 steps). Also the hyperparameters via add_hparams.
"""
from __future__ import annotations

import argparse
import math
import shutil
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from synthetic import seed_everything, teacher_vectors

DIM = 32
CLASSES = 10
TASK_SEED = 99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="run folder to create (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    torch.set_num_threads(1)
    seed_everything(args.seed)
    from torch.utils.tensorboard import SummaryWriter

    x_train, y_train = teacher_vectors(20_000, dim=DIM, classes=CLASSES, task_seed=TASK_SEED, sample_seed=1)
    x_val, y_val = teacher_vectors(2_000, dim=DIM, classes=CLASSES, task_seed=TASK_SEED, sample_seed=2)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, drop_last=True)
    model = nn.Sequential(nn.Linear(DIM, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, CLASSES))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    writer = SummaryWriter(log_dir=str(out))

    def evaluate(step: int) -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            loss = loss_fn(logits, y_val).item()
            accuracy = (logits.argmax(dim=-1) == y_val).float().mean().item()
        model.train()
        writer.add_scalar("val/loss", loss, step)
        writer.add_scalar("val/accuracy", accuracy, step)
        return loss, accuracy

    train_points: list[tuple[int, float]] = []
    val_points = [(0, *evaluate(0))]
    step = 0
    while step < args.steps:
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=float("inf"))
            optimizer.step()
            step += 1
            if step % 10 == 0:
                writer.add_scalar("train/loss", loss.item(), step)
                writer.add_scalar("train/grad_norm", grad_norm.item(), step)
                writer.add_scalar("train/lr", optimizer.param_groups[0]["lr"], step)
                train_points.append((step, loss.item()))
            if step % 100 == 0:
                val_points.append((step, *evaluate(step)))
            if step == args.steps:
                break

    final_val_loss, final_val_acc = val_points[-1][1], val_points[-1][2]
    writer.add_hparams(
        {"lr": args.lr, "optimizer": "SGD", "momentum": 0.9, "batch_size": 64, "steps": args.steps, "seed": args.seed},
        {"hparam/val_loss": final_val_loss, "hparam/val_accuracy": final_val_acc},
        run_name="hparams",
    )
    writer.close()

    losses = [l for _, l in train_points]
    print(f"SUMMARY {out.name}")
    print(f"  train/loss: first {losses[0]:.4f} (step {train_points[0][0]}), min {min(losses):.4f}, "
          f"final {losses[-1]:.4f} (step {train_points[-1][0]})")
    print(f"  val/loss: step 0 {val_points[0][1]:.4f}, final {final_val_loss:.4f}; "
          f"val/accuracy: step 0 {val_points[0][2]:.3f}, final {final_val_acc:.3f}")
    print(f"  chance: ln({CLASSES}) = {math.log(CLASSES):.4f}, accuracy 1/{CLASSES} = {1 / CLASSES:.3f}; "
          f"majority-class share in val = {torch.bincount(y_val).max().item() / len(y_val):.3f}")


if __name__ == "__main__":
    main()
