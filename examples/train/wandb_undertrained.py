"""Plain PyTorch loop logged with Weights & Biases in offline mode: a run stopped far too early.

Task: 10-class classification of 32-dimensional Gaussian vectors labelled by a fixed random
teacher (the task of torch_tensorboard_stall.py). Model: MLP 32-256-256-10, Adam at a sound
learning rate (3e-4) but only 200 steps, so the loss is still falling steeply when training
stops: the run is undertrained, not broken (`--steps 1000` shows where it was heading).

Logs train/loss and train/grad_norm every step, val/loss and val/accuracy every 10 steps, the
config (hyperparameters) and a summary. WANDB_MODE=offline: nothing leaves the machine; the
run lands in <out>/wandb/offline-run-*/ (run-<id>.wandb plus files/). The debug logs under
logs/ and the empty tmp/ are deleted (local paths, nothing ladder reads).
"""
from __future__ import annotations

import argparse
import math
import os
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
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    torch.set_num_threads(1)
    seed_everything(args.seed)
    import wandb

    x_train, y_train = teacher_vectors(20_000, dim=DIM, classes=CLASSES, task_seed=TASK_SEED, sample_seed=1)
    x_val, y_val = teacher_vectors(2_000, dim=DIM, classes=CLASSES, task_seed=TASK_SEED, sample_seed=2)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, drop_last=True)
    model = nn.Sequential(nn.Linear(DIM, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    run = wandb.init(
        project="ladder-examples",
        name="wandb-undertrained",
        dir=str(out),
        config={"lr": args.lr, "optimizer": "Adam", "batch_size": 64, "steps": args.steps, "seed": args.seed,
                "hidden": [256, 256], "task": "teacher_vectors", "classes": CLASSES},
        settings=wandb.Settings(save_code=False, disable_git=True, x_disable_stats=True),
    )

    def evaluate() -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            result = loss_fn(logits, y_val).item(), (logits.argmax(dim=-1) == y_val).float().mean().item()
        model.train()
        return result

    train_losses: list[float] = []
    val_points = []
    loss0, acc0 = evaluate()
    run.log({"val/loss": loss0, "val/accuracy": acc0}, step=0)
    val_points.append((0, loss0, acc0))
    step = 0
    while step < args.steps:
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=float("inf")).item()
            optimizer.step()
            step += 1
            metrics = {"train/loss": loss.item(), "train/grad_norm": grad_norm}
            if step % 10 == 0:
                val_loss, val_acc = evaluate()
                metrics.update({"val/loss": val_loss, "val/accuracy": val_acc})
                val_points.append((step, val_loss, val_acc))
            run.log(metrics, step=step)
            train_losses.append(loss.item())
            if step == args.steps:
                break
    run.finish()

    for run_dir in (out / "wandb").glob("*run-*"):
        shutil.rmtree(run_dir / "logs", ignore_errors=True)
        shutil.rmtree(run_dir / "tmp", ignore_errors=True)
    for link in (out / "wandb").iterdir():
        if link.is_symlink():
            link.unlink()
    for debug in (out / "wandb").glob("debug*.log"):
        debug.unlink()

    last_interval = val_points[-2], val_points[-1]
    print(f"SUMMARY {out.name}")
    print(f"  train/loss: step 1 {train_losses[0]:.4f}, final {train_losses[-1]:.4f} (step {step}); "
          f"mean of last 10 steps {sum(train_losses[-10:]) / 10:.4f}")
    print(f"  val/loss: step 0 {val_points[0][1]:.4f} -> final {val_points[-1][1]:.4f} (step {val_points[-1][0]}); "
          f"last interval {last_interval[0][1]:.4f} -> {last_interval[1][1]:.4f} "
          f"({(last_interval[1][1] - last_interval[0][1]) / (last_interval[1][0] - last_interval[0][0]):.5f} per step)")
    print(f"  val/accuracy: step 0 {val_points[0][2]:.3f} -> final {val_points[-1][2]:.3f}")
    print(f"  chance: ln({CLASSES}) = {math.log(CLASSES):.4f}")


if __name__ == "__main__":
    main()
