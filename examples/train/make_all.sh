#!/usr/bin/env bash
# Regenerates every example run in examples/runs from the scripts in this folder.
# Usage: PYTHON=/path/to/venv/bin/python examples/train/make_all.sh
# The venv needs torch (CPU), transformers, lightning and tensorboard (wandb for the W&B run);
# see README.md for the versions used. Nothing is downloaded: all data is synthetic.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs="$(cd "$here/.." && pwd)/runs"
py="${PYTHON:-python3}"
# One thread per process: these models are tiny, and on a small shared CPU extra threads only
# fight each other (a 2-thread BERT step measured 13x slower than a 1-thread one here).
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
cd "$here"
mkdir -p "$runs"
"$py" hf_classifier.py --out "$runs/hf-healthy" --seed 0 --lr 1e-3
"$py" hf_classifier.py --out "$runs/hf-lr-too-high" --seed 0 --lr 3e-2
"$py" lightning_overfit.py --out "$runs/lightning-overfit" --seed 0
"$py" torch_tensorboard_stall.py --out "$runs/torch-tensorboard-stall" --seed 0
if "$py" -c "import wandb" 2>/dev/null && [ -f wandb_undertrained.py ]; then
  "$py" wandb_undertrained.py --out "$runs/wandb-undertrained" --seed 0
else
  echo "wandb not importable (or script absent): skipping the W&B run" >&2
fi
