# LLM-AR on the mini synthetic benchmark: configs/llm_ar_ntu120.py with only what a 2-core
# CPU needs changed (data, LLM = SmolLM2-135M-Instruct offline, model sizes, schedule); the
# changes live in configs/_base_/llm_ar_mini_overrides.py and are applied here key by key.
#
#   python tools/train.py configs/llm_ar_ntu120_mini.py     (= `make demo`)
_base_ = ['./llm_ar_ntu120.py', './_base_/llm_ar_mini_overrides.py']

classes = {{_base_.llm_ar_mini.classes}}
clip_len = {{_base_.llm_ar_mini.clip_len}}
model = {{_base_.llm_ar_mini.model}}
train_dataloader = {{_base_.llm_ar_mini.train_dataloader}}
val_dataloader = {{_base_.llm_ar_mini.val_dataloader}}
train_cfg = {{_base_.llm_ar_mini.train_cfg}}
param_scheduler = {{_base_.llm_ar_mini.param_scheduler}}
optim_wrapper = {{_base_.llm_ar_mini.optim_wrapper}}
default_hooks = {{_base_.llm_ar_mini.default_hooks}}
stages = {{_base_.llm_ar_mini.stages}}

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(dataset='hhir synthetic benchmark (offline)', protocol='xsub val (CPU mini setting)')

# tools/ablate.py applies this on top of every `--configs` variant, so the paper-faithful
# ablation configs (configs/ablations/llm_ar/*.py) run in this mini setting.
ablation_overrides = {{_base_.llm_ar_mini}}
