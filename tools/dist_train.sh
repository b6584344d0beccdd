#!/usr/bin/env bash
# Distributed training through torchrun: tools/dist_train.sh CONFIG NPROC [train.py args]
# On machines without CUDA the gloo backend is used automatically.
set -euo pipefail
CONFIG=$1; NPROC=$2; shift 2
NNODES=${NNODES:-1}; NODE_RANK=${NODE_RANK:-0}; PORT=${PORT:-29500}; MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
DIR="$(cd "$(dirname "$0")" && pwd)"
PY=${PYTHON:-python}
exec "$PY" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
  --master_addr="$MASTER_ADDR" --nproc_per_node="$NPROC" --master_port="$PORT" \
  "$DIR/train.py" "$CONFIG" --launcher pytorch "$@"
