# PeVL paper ablation on Diving48 (ViT-B/16): without V2P (visual-enriched pose refinement).
# Inherits the paper config and changes only that; the CPU version of the same switch is the
# mini ablation next to this file (tools/ablate.py).
_base_ = ['../pevl_diving48.py']

model = dict(use_v2p=False)

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='V2 split, ViT-B/16, ablation', table='UCMR / SGMC ablation table (Diving48)', reported=dict(_delete_=True, top1=90.4))
