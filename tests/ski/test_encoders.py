"""SKI branch encoders: shapes, person masking, graph prior, frame encoder."""
import pytest
import torch

from hhir_core.errors import HHIRError
from hhir_ski.skeleton_encoder import LAYOUTS, GraphAttentionSkeletonEncoder, hop_distance
from hhir_ski.video_encoder import CLIPFrameEncoder


def test_hop_distance_on_ntu_graph():
    v, edges = LAYOUTS["nturgb+d"]
    hop = hop_distance(v, edges)
    assert hop[0, 1] == 1 and hop[0, 0] == 0
    assert hop[7, 11] == 8  # left hand -> right hand: 8-7-6-5-21-9-10-11-12 (1-based)
    assert torch.equal(hop, hop.t())


def test_skeleton_encoder_shapes_and_absent_person():
    torch.manual_seed(0)
    enc = GraphAttentionSkeletonEncoder.tiny().eval()
    x = torch.randn(2, 2, 18, 25, 3)
    tok = enc(x)
    assert tok.shape == (2, 5, enc.out_dim)  # ceil(18/4) temporal tokens
    # an all-zero second body is padding: the output equals the one-person encoding
    one = x.clone()
    one[:, 1] = 0
    assert torch.allclose(enc(one), enc(one[:, :1]), atol=1e-5)
    assert not torch.allclose(enc(x), enc(one), atol=1e-3)


def test_skeleton_encoder_rejects_wrong_layout():
    with pytest.raises(HHIRError, match="expects"):
        GraphAttentionSkeletonEncoder.tiny()(torch.randn(1, 1, 8, 17, 3))
    with pytest.raises(HHIRError):
        GraphAttentionSkeletonEncoder(layout="h36m")
    enc = GraphAttentionSkeletonEncoder.tiny(layout="coco", in_channels=2)
    assert enc(torch.randn(1, 1, 8, 17, 2)).shape[-1] == enc.out_dim


def test_skeleton_encoder_learns_a_trivial_task():
    """Gradients reach every block: a few steps separate two motion patterns."""
    torch.manual_seed(0)
    enc = GraphAttentionSkeletonEncoder.tiny()
    head = torch.nn.Linear(enc.out_dim, 2)
    opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=5e-3)
    t = torch.linspace(0, 6.28, 16)
    x = torch.randn(16, 1, 16, 25, 3) * 0.05
    y = torch.arange(16) % 2
    x[y == 1, 0, :, 7, 1] += torch.sin(t) # left hand waves in class 1
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(head(enc.pool(enc(x))), y)
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.2


def test_clip_frame_encoder_tiny_and_frozen():
    enc = CLIPFrameEncoder.tiny()
    (x,), _ = enc.example_inputs(batch_size=2)
    out = enc(x)
    assert out.shape == (2, 3, enc.out_dim)
    # per-frame: changing frame 0 leaves frame 1's embedding unchanged
    x2 = x.clone(); x2[:, 0] += 1
    enc.eval()
    assert torch.allclose(enc(x)[:, 1], enc(x2)[:, 1], atol=1e-5)
    frozen = CLIPFrameEncoder.tiny(freeze=True)
    assert not any(p.requires_grad for p in frozen.parameters())
    frozen.train()
    assert not frozen.clip.training
    with pytest.raises(HHIRError):
        enc(torch.randn(2, 3, 32, 32))
