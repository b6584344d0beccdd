# LLM-AR's mini config (from the installed hhir_llm_ar plugin) with this plugin's
# GRUSkeletonTokenizer in the tokenizer slot: same data, LLM (SmolLM2-135M), schedule and
# two stages (the tokenizer learns to reconstruct skeletons, then LoRA tunes the frozen LLM
# on its tokens); only `model.tokenizer` and what depends on it change.
#
#   python tools/train.py hhir_example_plugin::llm_ar_gru_mini.py
_base_ = ['hhir_llm_ar::llm_ar_ntu120_mini.py']
requires = ['hhir-example-plugin>=0.1', 'hhir_llm_ar']

model = dict(
    tokenizer=dict(_delete_=True, type='GRUSkeletonTokenizer', in_channels=2 * 25 * 3,
                   llm_dim=576,                  # SmolLM2-135M word-embedding width
                   hidden=64, num_layers=1, stride=4, recon_weight=1.0, mmd_weight=0.1),
    token_mode='embeds',       # the GRU tokenizer has no codebook: 'vocab' does not apply
)
