# LLM-AR ablation: without discretisation (Table 5, X-Set 83.4). No codebook, so no VQ and
# code-usage losses; MMD compares the latents with the LLM's word embeddings.
# The paper "feeds continuous features into intermediate LLM layers" without naming the layer:
# here the encoder's latents replace the hidden states at the action-sentence positions at the
# input of the middle decoder block ('middle' = block N // 2: block 20 of LLaMA-13B's 40; of the
# mini's 8 blocks, block 4). Below that block the sentence positions hold a zero placeholder.
# Another block: model.inject_layer=<k>; the input embeddings instead: model.inject_layer=None.
# The paper's ablations are on NTU RGB+D 120 X-Set, so this inherits the X-Set config and
# changes only the ablated part; for a CPU run tools/ablate.py applies the mini config's
# changes on top (its `ablation_base`).
_base_ = ['../llm_ar_ntu120_xset.py']

model = dict(tokenizer=dict(type='ContinuousTokenizer'), inject_layer='middle')

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='X-Set, ablation', table='Table 5', reported=dict(_delete_=True, top1=83.4))
