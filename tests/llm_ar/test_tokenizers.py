"""Tokenizers: shapes, losses, switches, gradients, and the role contract."""
import pytest
import torch

from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import Tokenizer
from hhir_llm_ar.tokenizers import (ContinuousTokenizer, EuclideanVQTokenizer,
                                    HyperbolicVQTokenizer)

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


@pytest.mark.parametrize("cls", [HyperbolicVQTokenizer, ContinuousTokenizer])
def test_latent_norm_centres_latents_and_unknown_value_is_named(cls):
    """latent_norm='batch' standardises every latent channel (so latents stop sharing one
    direction), scaled by 1/sqrt(D) so the expected norm is 1, inside the Poincaré ball."""
    torch.manual_seed(0)
    x = torch.randn(64, 16, 12) + 3.0            # a common offset: raw latents share a direction
    plain = cls.tiny(latent_norm="none")
    normed = cls.tiny(latent_norm="batch")
    normed.load_state_dict(plain.state_dict(), strict=False)   # same encoder weights
    z_plain = plain.encode(x)[0]
    z = normed.encode(x)[0]                                    # training mode: batch statistics
    flat = z.reshape(-1, z.shape[-1])
    assert flat.mean(0).abs().max() < 1e-4
    assert torch.allclose(flat.std(0, unbiased=False) * z.shape[-1] ** 0.5,
                          torch.ones(z.shape[-1]), atol=1e-2)
    cos = torch.nn.functional.cosine_similarity

    def mean_cos(t):
        t = t.reshape(-1, t.shape[-1])
        return cos(t[:, None], t[None], dim=-1).mean()

    assert mean_cos(z) < mean_cos(z_plain)
    normed.eval()                                              # eval: running statistics
    assert torch.isfinite(normed.encode(x)[0]).all()
    with pytest.raises(ConfigError, match="latent_norm='layer'"):
        cls.tiny(latent_norm="layer")


@pytest.mark.parametrize("cls", ALL)
def test_bias_loss_warmup_ramps_bias_losses_only_and_resumes(cls):
    """bias_loss_warmup=W scales Zipf/context/MMD by batches/W (capped at 1) during training;
    reconstruction and the VQ losses are untouched; the counter is saved with the weights."""
    torch.manual_seed(0)
    ref = torch.randn(32, 16) * 0.05
    x = torch.randn(3, 16, 12)
    # no codebook upkeep: training-mode calls must not move the codes of `ramped`
    still = dict(loss_weights={}, codebook_upkeep=dict(data_init=False, reset_interval=0))
    full, ramped = cls.tiny(**still), cls.tiny(**still, bias_loss_warmup=4)
    ramped.load_state_dict(full.state_dict())
    for tok in (full, ramped):
        tok.set_reference_embeddings(ref, num_samples=32)
        tok.eval()                                    # deterministic soft counts
    bias = {"loss_zipf", "loss_context", "loss_mmd"}
    ramped.train()
    seen = []
    for step in range(1, 7):
        out = ramped(x)
        seen.append(ramped.bias_loss_factor())
        ref_out = full(x)                            # eval: same losses, factor 1
        assert int(ramped.train_batches) == step
        assert set(out.losses) == set(ref_out.losses)
        for k in out.losses:
            if k not in bias:
                continue
            ramped.eval()
            no_noise = ramped(x).losses[k]           # eval: no Gumbel noise, no counting
            ramped.train()
            torch.testing.assert_close(no_noise, min(1.0, step / 4) * ref_out.losses[k])
        assert int(ramped.train_batches) == step     # eval calls do not count
    assert seen == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    restored = cls.tiny(loss_weights={}, bias_loss_warmup=4)
    restored.load_state_dict(ramped.state_dict())
    assert int(restored.train_batches) == 6 and restored.bias_loss_factor() == 1.0
    with pytest.raises(ConfigError, match="bias_loss_warmup"):
        cls.tiny(bias_loss_warmup=-1)


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
