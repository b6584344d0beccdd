# LLM-AR ablation: full fine-tuning of the LLM in stage 2 instead of LoRA (the paper's
# comparison; its unseen-class top-1 drops from 62.4 to 37.7). Same optimiser settings as LoRA.
_base_ = ['../llm_ar_ntu120.py']

model = dict(llm=dict(lora=None, full_finetune=True))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # the paper gives no per-ablation numbers
