"""A tiny BERT trained with the Hugging Face Trainer on a synthetic sequence classification task.

Used for two example runs that differ only in the learning rate:
  hf-healthy       --lr 1e-3   (converges)
  hf-lr-too-high   --lr 3e-2   (30x: the loss jumps back up and training never recovers)

The run folder keeps what the Trainer writes as text: trainer_state.json (root and each
checkpoint-*), all_results.json, train_results.json, eval_results.json, config.json,
training_args.json and the TensorBoard event files; weights and optimizer state are deleted.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from synthetic import seed_everything, teacher_tokens

VOCAB = 40
LENGTH = 16
CLASSES = 4
TASK_SEED = 1234
# Weights, optimizer state and pickles: large, binary, and not what the example is about.
DROP = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.pkl")


class TokenTask(torch.utils.data.Dataset):
    def __init__(self, n: int, sample_seed: int):
        ids, self.labels = teacher_tokens(
            n, vocab=VOCAB, length=LENGTH, classes=CLASSES, task_seed=TASK_SEED, sample_seed=sample_seed
        )
        cls = torch.full((n, 1), VOCAB, dtype=torch.int64)  # the extra id VOCAB is the [CLS] token
        self.input_ids = torch.cat([cls, ids], dim=1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return {
            "input_ids": self.input_ids[i],
            "attention_mask": torch.ones_like(self.input_ids[i]),
            "labels": self.labels[i],
        }


def compute_metrics(eval_pred):
    logits, labels = eval_pred
    return {"accuracy": float((np.argmax(logits, axis=-1) == labels).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="run folder to create (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-steps", type=int, default=1200)
    args = parser.parse_args()

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    # Transformers 5 takes the TensorBoard folder from this variable (the default name holds the
    # date and host name); keep it inside the run folder so both formats travel together.
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(out / "tensorboard")
    # One thread: on a small shared CPU, more threads than free cores makes each step many times slower.
    torch.set_num_threads(1)
    seed_everything(args.seed)

    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    config = BertConfig(
        vocab_size=VOCAB + 1,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=LENGTH + 1,
        num_labels=CLASSES,
    )
    model = BertForSequenceClassification(config)
    train = TokenTask(12_000, sample_seed=1)
    evalset = TokenTask(1_000, sample_seed=2)

    training_args = TrainingArguments(
        output_dir=str(out),
        max_steps=args.max_steps,
        per_device_train_batch_size=32,
        per_device_eval_batch_size=256,
        learning_rate=args.lr,
        weight_decay=0.01,
        warmup_steps=30,
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
        logging_steps=10,
        eval_strategy="steps",
        eval_steps=100,
        save_strategy="steps",
        save_steps=400,
        report_to=["tensorboard"],
        seed=args.seed,
        data_seed=args.seed,
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train,
        eval_dataset=evalset,
        compute_metrics=compute_metrics,
    )
    train_result = trainer.train()
    trainer.save_model()
    trainer.log_metrics("train", train_result.metrics)
    trainer.save_metrics("train", train_result.metrics)
    eval_metrics = trainer.evaluate()
    trainer.log_metrics("eval", eval_metrics)
    trainer.save_metrics("eval", eval_metrics)
    trainer.save_state()
    (out / "training_args.json").write_text(training_args.to_json_string() + "\n")

    for pattern in DROP:
        for path in out.rglob(pattern):
            path.unlink()

    summarize(out)


def summarize(out: Path) -> None:
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    train = [(h["step"], h["loss"], h.get("grad_norm")) for h in history if "loss" in h]
    evals = [(h["step"], h["eval_loss"], h["eval_accuracy"]) for h in history if "eval_loss" in h]
    losses = [l for _, l, _ in train]
    finite = [l for l in losses if np.isfinite(l)]
    grads = [g for _, _, g in train if g is not None]
    best = min(evals, key=lambda e: e[1])
    print(f"SUMMARY {out.name}")
    print(f"  train loss: first logged {losses[0]:.4f} (step {train[0][0]}), min {min(finite):.4f}, "
          f"final {losses[-1]:.4f} (step {train[-1][0]}), non-finite {len(losses) - len(finite)}")
    print(f"  grad_norm: median {np.median(grads):.3f}, max {max(grads):.3f}")
    print(f"  eval: first loss {evals[0][1]:.4f} acc {evals[0][2]:.3f} (step {evals[0][0]}), "
          f"best loss {best[1]:.4f} acc {best[2]:.3f} (step {best[0]}), "
          f"final loss {evals[-1][1]:.4f} acc {evals[-1][2]:.3f} (step {evals[-1][0]})")
    prior = np.bincount(TokenTask(1_000, sample_seed=2).labels.numpy(), minlength=CLASSES) / 1_000
    print(f"  chance: loss ln({CLASSES}) = {np.log(CLASSES):.4f}, accuracy 1/{CLASSES} = {1 / CLASSES:.3f}; "
          f"always predicting the eval label prior: loss {-(prior * np.log(prior)).sum():.4f}, "
          f"majority-class accuracy {prior.max():.3f}")


if __name__ == "__main__":
    main()
