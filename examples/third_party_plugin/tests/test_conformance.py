"""The plugin's own tests: installed and listed, and every component conforms.

Run from anywhere once the plugin is installed (``pip install -e .``)::

    pytest tests/
"""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hhir_core.plugins.manager import get_manager  # noqa: E402
from hhir_core.testing import assert_conforms, parametrize_registry  # noqa: E402

DIST = "hhir-example-plugin"


def test_plugin_is_installed_and_loads():
    manager = get_manager()
    manager.load()
    info = manager.plugins.get("hhir_example_plugin")
    assert info is not None, "not installed: pip install -e examples/third_party_plugin"
    assert info.status == "ok", info.error
    assert info.components == {"tokenizer": ["GRUSkeletonTokenizer"]}


# one test per component the plugin registers (an empty list means it is not installed,
# which the test above reports as a failure)
@parametrize_registry(dists=[DIST])
def test_conformance(hhir_component):
    assert_conforms(hhir_component)


def test_gru_tokenizer_shapes_follow_the_stride():
    import torch
    from hhir_example_plugin.gru_tokenizer import GRUSkeletonTokenizer

    tok = GRUSkeletonTokenizer(in_channels=2 * 25 * 3, llm_dim=32, hidden=16, stride=4)
    out = tok(torch.randn(3, 2, 30, 25, 3))          # [B,M,T,V,C], T=30 -> 8 tokens
    assert out.embeds.shape == (3, 8, 32) and out.ids is None
    assert set(out.losses) == {"loss_recon"} and out.extras["recon_error"].shape == (3,)
    assert tok(torch.randn(3, 30, 150), compute_losses=False).losses == {}
