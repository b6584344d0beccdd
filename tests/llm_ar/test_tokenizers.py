"""Tokenizers: shapes, losses, switches, gradients, and the role contract."""
import pytest
import torch

from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import Tokenizer
from hhir_llm_ar.tokenizers import ContinuousTokenizer, EuclideanVQTokenizer, HyperbolicVQTokenizer

ALL = [HyperbolicVQTokenizer, EuclideanVQTokenizer, ContinuousTokenizer]


@pytest.mark.parametrize("cls", ALL)
def test_contract_and_shapes(cls):
    # all losses on, MMD against a random stand-in for the LLM's word embeddings
    tok = cls.tiny(loss_weights={})
    tok.set_reference_embeddings(torch.randn(32, tok.llm_dim) * 0.05, num_samples=32)
    assert isinstance(tok, Tokenizer)
    args, kwargs = tok.example_inputs(batch_size=3)
    out = tok(*args, **kwargs)
    tok.check_output(out, args, kwargs)
    assert out.embeds.shape == (3, 4, tok.llm_dim)          # T/4 latents
    if cls is ContinuousTokenizer:
        assert out.ids is None and set(out.losses) == {"loss_recon", "loss_mmd"}
    else:
        assert out.ids.max() < tok.num_codes
        assert set(out.losses) == {"loss_recon", "loss_embedding", "loss_commitment",
                                   "loss_zipf", "loss_context", "loss_mmd"}
    total = sum(out.losses.values())
    total.backward()
    grads = [p.grad for p in tok.parameters() if p.requires_grad]
    assert all(g is None or torch.isfinite(g).all() for g in grads)
    assert tok.encoder.net[0].weight.grad.abs().sum() > 0


def test_five_dim_input_and_odd_length():
    tok = HyperbolicVQTokenizer.tiny(in_channels=2 * 3 * 2)
    x = torch.randn(2, 2, 18, 3, 2)      # [B,M,T,V,C], T not a multiple of 4
    out = tok(x)
    assert out.embeds.shape[1] == 5      # ceil(18/4) after replicate-padding to 20
    with pytest.raises(DataError, match="in_channels"):
        tok(torch.randn(2, 16, 5))


def test_switches_remove_losses_and_validation():
    tok = HyperbolicVQTokenizer.tiny(loss_weights=dict(zipf=0, context=0, mmd=0))
    out = tok(*tok.example_inputs()[0])
    assert set(out.losses) == {"loss_recon", "loss_embedding", "loss_commitment"}
    with pytest.raises(ConfigError, match="loss_weights"):
        HyperbolicVQTokenizer.tiny(loss_weights=dict(zipff=1))
    with pytest.raises(ConfigError, match="num_codes"):
        HyperbolicVQTokenizer.tiny(num_codes=7)
    bare = HyperbolicVQTokenizer(in_channels=12, llm_dim=16, num_codes=8, hidden=16, depth=1)
    with pytest.raises(ConfigError, match="mmd"):
        bare(torch.randn(2, 8, 12))


def test_hyperbolic_embeds_are_codes_and_straight_through():
    tok = HyperbolicVQTokenizer.tiny()
    tok.eval()
    out = tok(torch.randn(2, 16, 12), compute_losses=False)
    assert out.losses == {}
    codes = tok.quantizer.tangent_codes()
    torch.testing.assert_close(out.embeds, codes[out.ids])


def test_codebook_learns_with_embedding_loss():
    torch.manual_seed(1)
    tok = HyperbolicVQTokenizer.tiny(loss_weights=dict(zipf=0, context=0, mmd=0, recon=0,
                                                       commitment=0, embedding=1.0))
    opt = torch.optim.Adam([tok.quantizer.codebook], lr=0.05)
    x = torch.randn(4, 16, 12)
    first = None
    for _ in range(100):
        loss = tok(x).losses["loss_embedding"]
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    # codes converge to the means of their assigned latents; what remains is the
    # within-cluster spread (8 codes, 16 latents), so the loss plateaus at ~0.45-0.55x
    assert loss.item() < 0.7 * first


def test_mmd_pulls_codebook_towards_llm_embeddings():
    torch.manual_seed(0)
    tok = HyperbolicVQTokenizer.tiny(loss_weights=dict(recon=0, embedding=0, commitment=0,
                                                       zipf=0, context=0, mmd=1.0))
    ref = torch.randn(64, 16) * 0.3 + 0.4
    tok.set_reference_embeddings(ref, num_samples=64)
    opt = torch.optim.Adam([tok.quantizer.codebook], lr=0.05)
    x = torch.randn(2, 16, 12)
    first = float(tok(x).losses["loss_mmd"])
    for _ in range(40):
        loss = tok(x).losses["loss_mmd"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first
    with pytest.raises(ConfigError, match="llm_dim"):
        tok.set_reference_embeddings(torch.randn(10, 5))


@pytest.mark.parametrize("cls", ALL)
def test_checkpoint_with_the_removed_batch_counter_still_loads_strictly(cls):
    """Tokenizer checkpoints written while the bias-loss ramp existed carry a
    ``train_batches`` buffer; they load into today's tokenizer with strict=True."""
    torch.manual_seed(0)
    old = dict(cls.tiny().state_dict(), train_batches=torch.tensor(300))
    tok = cls.tiny()
    tok.load_state_dict(old, strict=True)
    assert "train_batches" not in tok.state_dict()
    torch.testing.assert_close(tok.encoder.state_dict(),
                               {k[len("encoder."):]: v for k, v in old.items() if k.startswith("encoder.")})


@pytest.mark.parametrize("cls", [HyperbolicVQTokenizer, ContinuousTokenizer])
def test_latent_scale_scales_latents_and_decoder_undoes_it(cls):
    """latent_scale s multiplies the encoder output before quantisation (keeps exp0 off
    tanh's flat part, where the ball point barely moves with the latent) and the decoder
    divides it out again, so s reparametrises the latents without changing the autoencoder."""
    torch.manual_seed(0)
    x = torch.randn(2, 16, 12)
    plain, scaled = cls.tiny(), cls.tiny(latent_scale=0.4)
    scaled.load_state_dict(plain.state_dict())
    z1, z2 = plain.encode(x)[0], scaled.encode(x)[0]
    torch.testing.assert_close(z2, 0.4 * z1)
    torch.testing.assert_close(scaled.decode(z2), plain.decode(z1))


def test_loss_weight_readings():
    """Eq. 12: alpha = 0.02 on commitment, beta = 0.2 on the human-inductive-bias losses
    (default ``preset='paper'``); the other reading is one key away."""
    from hhir_llm_ar.tokenizers import resolve_loss_weights

    paper = resolve_loss_weights(None)
    assert paper == dict(recon=1.0, embedding=1.0, commitment=0.02, zipf=0.2, context=0.2, mmd=0.2)
    other = resolve_loss_weights(dict(preset="embedding_alpha"))
    assert (other["embedding"], other["commitment"], other["zipf"], other["mmd"]) == (0.02, 0.2, 1.0, 0.1)
    assert resolve_loss_weights(dict(zipf=0.0))["zipf"] == 0.0 and resolve_loss_weights(dict(zipf=0.0))["mmd"] == 0.2
    with pytest.raises(ConfigError, match="preset"):
        resolve_loss_weights(dict(preset="t2m"))
    tok = HyperbolicVQTokenizer.tiny()
    assert tok.zipf_cfg["scope"] == "batch" and tok.zipf_cfg["offset"] == 2.7
