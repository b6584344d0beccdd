"""UCMR: P2V masked attention, V2P length, refinement NT-Xent."""
import torch

from hhir_pevl.ucmr import (
    NTXentLoss,
    P2VAttention,
    V2PAttention,
    aligned_pose_indices,
    masked_pose_attention,
    patch_weights,
)


def test_patch_weights_count_joints_per_patch():
    # 2x2 grid over a 32x32 image; 3 joints in the top-left patch, 1 in bottom-right
    kp = torch.tensor([[[1., 1., 1.], [5., 5., 1.], [10., 2., 1.], [20., 30., 1.], [3., 3., 0.]]])
    w = patch_weights(kp, (2, 2), (32, 32), norm="max")
    assert torch.allclose(w, torch.tensor([[1.0, 0.0, 0.0, 1 / 3]]))
    ws = patch_weights(kp, (2, 2), (32, 32), norm="sum")
    assert torch.allclose(ws.sum(), torch.tensor(1.0))
    # no joints at all (score 0 or outside the image) -> all-zero row
    none = torch.tensor([[[-5., 1., 1.], [3., 3., 0.]]])
    assert patch_weights(none, (2, 2), (32, 32)).abs().sum() == 0


def test_p2v_attention_exactly_restricted_by_mask():
    torch.manual_seed(0)
    n, h, l, d = 3, 2, 6, 4
    q, k, v = torch.randn(3, n, h, l, d).unbind(0)
    mask = torch.zeros(n, 1, l, l)
    mask[..., [1, 3]] = torch.tensor([0.5, 1.0])      # keys 1 and 3 carry joints
    out, alpha = masked_pose_attention(q, k, v, mask)
    assert (alpha[..., [0, 2, 4, 5]] == 0).all()       # exactly zero off the mask
    assert torch.allclose(alpha.sum(-1), torch.ones(n, h, l))
    # the formula: exp(QK^T (.) M) normalised over the masked entries
    s = (q @ k.transpose(-1, -2)) / d ** 0.5 * mask
    ref = torch.softmax(s[..., [1, 3]], dim=-1)
    assert torch.allclose(alpha[..., [1, 3]], ref, atol=1e-6)
    # changing keys/values outside the mask does not change the output
    k2, v2 = k.clone(), v.clone()
    k2[..., [0, 2, 4, 5], :] = torch.randn_like(k2[..., [0, 2, 4, 5], :]) * 100
    v2[..., [0, 2, 4, 5], :] = torch.randn_like(v2[..., [0, 2, 4, 5], :]) * 100
    out2, _ = masked_pose_attention(q, k2, v2, mask)
    assert torch.allclose(out, out2, atol=1e-5)


def test_p2v_finite_and_identity_for_frames_without_joints():
    torch.manual_seed(0)
    p2v = P2VAttention(dim=8, num_heads=2)
    torch.nn.init.normal_(p2v.proj.weight)               # non-zero output projection
    x = torch.randn(2, 5, 8, requires_grad=True)
    weights = torch.zeros(2, 4)
    weights[0, 1] = 1.0                                  # frame 0 has joints, frame 1 none
    y = p2v(x, weights)
    assert torch.isfinite(y).all()
    y.sum().backward()
    assert torch.isfinite(x.grad).all() and all(torch.isfinite(p.grad).all() for p in p2v.parameters()
                                                if p.grad is not None)
    assert torch.allclose(y[1], x[1])                    # no joints: residual only
    assert not torch.allclose(y[0], x[0])                # joints: refined


def test_v2p_keeps_pose_length_and_touches_only_aligned_frames():
    torch.manual_seed(0)
    v2p = V2PAttention(pose_dim=16, video_dim=12, num_heads=2)
    pose = torch.randn(2, 48, 7, 16)
    video = torch.randn(2, 16, 9, 12)
    out = v2p(pose, video)
    assert out.shape == pose.shape
    idx = aligned_pose_indices(48, 16)
    assert idx.tolist() == list(range(1, 48, 3))
    untouched = torch.ones(48, dtype=torch.bool)
    untouched[idx] = False
    assert torch.equal(out[:, untouched], pose[:, untouched])
    assert not torch.allclose(out[:, idx], pose[:, idx])
    # uneven ratio still keeps the length
    assert v2p(torch.randn(1, 10, 7, 16), torch.randn(1, 4, 9, 12)).shape == (1, 10, 7, 16)


def test_ntxent_prefers_matching_pairs_and_learns_temperature():
    torch.manual_seed(0)
    loss = NTXentLoss(0.1)
    a = torch.randn(6, 8)
    good = loss(a, a + 0.01 * torch.randn(6, 8))
    bad = loss(a, torch.randn(6, 8))
    assert good < bad
    bad.backward()
    assert loss.log_temperature.grad is not None and loss.log_temperature.grad != 0
