#!/usr/bin/env bash
# Distributed training through torchrun: tools/dist_train.sh CONFIG NPROC [train.py args]
# On machines without CUDA the gloo backend is used automatically.
set -euo pipefail
usage="usage: tools/dist_train.sh CONFIG NPROC [tools/train.py args]  (e.g. tools/dist_train.sh configs/stgcn_ntu120_mini.py 2)"
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then echo "$usage"; exit 0; fi
if [ $# -lt 2 ]; then echo "$usage" >&2; exit 2; fi
case "$2" in ''|*[!0-9]*) echo "error: NPROC must be a number of processes, got '$2'" >&2; echo "$usage" >&2; exit 2;; esac
CONFIG=$1; NPROC=$2; shift 2
NNODES=${NNODES:-1}; NODE_RANK=${NODE_RANK:-0}; PORT=${PORT:-29500}; MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
DIR="$(cd "$(dirname "$0")" && pwd)"
PY=${PYTHON:-python}
exec "$PY" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
  --master_addr="$MASTER_ADDR" --nproc_per_node="$NPROC" --master_port="$PORT" \
  "$DIR/train.py" "$CONFIG" --launcher pytorch "$@"
