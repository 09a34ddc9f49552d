"""PyTorch Lightning + CSVLogger: a wide MLP memorises a small, noisy training set.

The training set is 512 examples from a fixed random teacher network with 20 % of the labels
replaced by random ones; the validation set (2,000 examples) is drawn the same way. The model
(about 280 k parameters, no regularisation) can fit every training label, so the validation
loss reaches a minimum early and then climbs while the training loss keeps falling: overfitting.

Writes <out>/lightning_logs/version_0/{metrics.csv,hparams.yaml}, the layout Lightning's
CSVLogger produces by default. No checkpoint is kept.
"""
from __future__ import annotations

import argparse
import csv
import math
import shutil
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from synthetic import teacher_vectors

DIM = 20
CLASSES = 4
TASK_SEED = 4321



def build_module(hidden: int, lr: float):
    import lightning as L

    class Classifier(L.LightningModule):
        def __init__(self, hidden: int, lr: float, dim: int = DIM, classes: int = CLASSES):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(
                nn.Linear(dim, hidden), nn.ReLU(),
                nn.Linear(hidden, hidden), nn.ReLU(),
                nn.Linear(hidden, classes),
            )

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            logits = self(x)
            loss = nn.functional.cross_entropy(logits, y)
            acc = (logits.argmax(dim=-1) == y).float().mean()
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            self.log("train_acc", acc, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            logits = self(x)
            self.log("val_loss", nn.functional.cross_entropy(logits, y), on_epoch=True)
            self.log("val_acc", (logits.argmax(dim=-1) == y).float().mean(), on_epoch=True)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    return Classifier(hidden=hidden, lr=lr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="run folder to create (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--lr", type=float, default=2e-4)
    args = parser.parse_args()

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    torch.set_num_threads(1)

    import lightning as L
    from lightning.pytorch.loggers import CSVLogger

    L.seed_everything(args.seed, workers=True)
    x_train, y_train = teacher_vectors(512, dim=DIM, classes=CLASSES, task_seed=TASK_SEED, sample_seed=1, label_noise=0.2)
    x_val, y_val = teacher_vectors(2_000, dim=DIM, classes=CLASSES, task_seed=TASK_SEED, sample_seed=2, label_noise=0.2)
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(x_val, y_val), batch_size=500)

    model = build_module(args.hidden, args.lr)
    trainer = L.Trainer(
        max_epochs=args.epochs,
        accelerator="cpu",
        devices=1,
        logger=CSVLogger(save_dir=str(out)),
        log_every_n_steps=8,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        deterministic=True,
    )
    trainer.fit(model, train, val)
    summarize(Path(trainer.logger.log_dir) / "metrics.csv")


def summarize(metrics_csv: Path) -> None:
    rows = list(csv.DictReader(metrics_csv.open()))
    val = [(int(r["epoch"]), int(r["step"]), float(r["val_loss"]), float(r["val_acc"])) for r in rows if r["val_loss"]]
    epoch_train = [(int(r["epoch"]), float(r["train_loss_epoch"]), float(r["train_acc"])) for r in rows if r["train_loss_epoch"]]
    step_train = [float(r["train_loss_step"]) for r in rows if r["train_loss_step"]]
    best = min(val, key=lambda v: v[2])
    print(f"SUMMARY {metrics_csv}")
    print(f"  rows {len(rows)}, train_loss_step points {len(step_train)}, val points {len(val)}")
    print(f"  train_loss_epoch: first {epoch_train[0][1]:.4f}, final {epoch_train[-1][1]:.4f} "
          f"(train_acc final {epoch_train[-1][2]:.3f})")
    print(f"  val_loss: first {val[0][2]:.4f}, min {best[2]:.4f} at epoch {best[0]} (step {best[1]}, "
          f"val_acc {best[3]:.3f}), final {val[-1][2]:.4f} (val_acc {val[-1][3]:.3f}), "
          f"final/min = {val[-1][2] / best[2]:.2f}")
    print(f"  chance: ln({CLASSES}) = {math.log(CLASSES):.4f}")


if __name__ == "__main__":
    main()
