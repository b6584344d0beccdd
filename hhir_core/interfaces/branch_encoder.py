"""BranchEncoder role: encode one input stream into a token sequence.

Contract (a ``torch.nn.Module``): ``forward(x, **extra) -> Tensor [B,N,D]``
float, with ``D == self.out_dim``. ``x`` is the stream the encoder declares in
``input_kind``: ``skeleton`` ``[B,M,T,V,C]``, ``frames`` ``[B,T,3,H,W]``
(float, normalised), ``tokens`` ``[B,N,D_in]``. ``pool(tokens) -> [B,D]``
gives one vector per sample (mean over tokens unless overridden).

Two richer contracts extend it for methods that need more than tokens:
:class:`KeypointVideoEncoder` (frames conditioned on keypoints, PeVL's video
slot) and :class:`JointTokenEncoder` (one token per frame and joint, PeVL's
pose slot). Two optional capabilities let a pose encoder run its tokens through the
video encoder's pre-trained transformer layers: ``KeypointVideoEncoder.shared_layers()``
gives them, ``JointTokenEncoder.attach_shared_layers(layers)`` takes them (a reference,
not a copy); :func:`shared_layer_forward` is how a consumer runs one of those layers.
"""
from __future__ import annotations

import abc
from typing import Any, Callable, Dict, Tuple

from .base import RoleComponent, capability, missing_capability

#: sub-modules every shared layer has (the transformers CLIP / ViT pre-norm layout)
SHARED_LAYER_PARTS = ("layer_norm1", "self_attn", "layer_norm2", "mlp")


def shared_layer_forward(layer, h, adapters=None):
    """One pre-norm transformer layer of ``shared_layers()`` on tokens ``h [N,L,D]``.

    ``h + attn(norm1(h))`` then ``+ mlp(norm2(h))``; ``adapters`` (a mapping with ``attn``
    and ``mlp`` modules, or ``None``) wrap the attention and MLP outputs before the residual
    sums, so each consumer can adapt the same frozen layer in its own way.
    """
    a = layer.self_attn(hidden_states=layer.layer_norm1(h), attention_mask=None)[0]
    h = h + (adapters["attn"](a) if adapters is not None else a)
    m = layer.mlp(layer.layer_norm2(h))
    return h + (adapters["mlp"](m) if adapters is not None else m)


def check_shared_layers(layers, where: str) -> None:
    """Raise ``AssertionError`` unless ``layers`` is a non-empty sequence of shared layers."""
    assert len(layers) > 0, f"{where}: no layers"
    for i, layer in enumerate(layers):
        missing = [n for n in SHARED_LAYER_PARTS if not hasattr(layer, n)]
        assert not missing, f"{where}: layer {i} ({type(layer).__name__}) lacks {', '.join(missing)}"


class BranchEncoder(RoleComponent):
    """One stream (skeleton, frames or tokens) -> tokens ``[B,N,out_dim]``."""

    role = "branch_encoder"
    input_kind: str = "skeleton"
    #: state-dict prefixes (relative to this module) of frozen pre-trained weights that
    #: checkpoints may leave out (they are rebuilt from the config)
    frozen_state_prefixes: Tuple[str, ...] = ()

    @property
    @abc.abstractmethod
    def out_dim(self) -> int:
        """Width ``D`` of the output tokens."""

    @abc.abstractmethod
    def forward(self, x, **extra):
        """Return tokens ``[B,N,D]``."""

    def pool(self, tokens):
        """One vector per sample ``[B,D]`` (mean over tokens)."""
        return tokens.mean(dim=1)

    def check_output(self, output, args, kwargs) -> None:
        assert output.dim() == 3, f"expected [B,N,D], got {tuple(output.shape)}"
        assert output.shape[0] == args[0].shape[0], "batch size changed"
        assert output.shape[-1] == self.out_dim, f"last dim {output.shape[-1]} != out_dim {self.out_dim}"
        assert output.is_floating_point(), f"dtype {output.dtype} is not floating"


class KeypointVideoEncoder(BranchEncoder):
    """Frames ``[B,T,3,H,W]`` encoded with optional keypoint guidance (PeVL's video slot).

    ``encode(frames, video_keypoint=None, use_p2v=True) -> dict`` with

    * ``frames`` ``[B,T,out_dim]`` — one (projected) vector per frame;
    * ``patches`` ``[B,T,P,hidden_size]`` — patch tokens of each frame (what pose
      tokens attend to);
    * ``before`` / ``after`` ``[B,hidden_size]`` — only when keypoint guidance ran:
      the frame summary before and after it (a refinement loss compares them).

    ``video_keypoint`` ``[B,M,T,V,3]`` are joints of each frame in pixels of
    ``frames`` (x, y, score); ``use_p2v=False`` (or no keypoints) turns the guidance
    off. ``forward(x, video_keypoint=None)`` returns ``encode(...)["frames"]`` (define
it in the class: ``nn.Module`` comes first in the bases and shadows defaults here).
    """

    input_kind = "frames"
    optional_capabilities = {
        "shared_layers": "gives its pre-trained transformer layers (an nn.ModuleList of pre-norm "
                         "layers with layer_norm1, self_attn, layer_norm2, mlp; width hidden_size) "
                         "for another encoder to run its tokens through (PeVL's pose encoder)",
    }

    @capability
    def shared_layers(self):
        """The encoder's own transformer layers (the modules themselves, not copies)."""
        raise missing_capability(self, "shared_layers")

    @property
    @abc.abstractmethod
    def hidden_size(self) -> int:
        """Width of the patch tokens."""

    @abc.abstractmethod
    def encode(self, frames, video_keypoint=None, use_p2v: bool = True) -> Dict[str, Any]:
        """See the class docstring."""

    def capability_checks(self) -> Dict[str, Callable[[], str]]:
        import torch

        args, kwargs = self.example_inputs()
        frames, kp = args[0], kwargs.get("video_keypoint")
        b, t = frames.shape[:2]

        def check(out: Dict[str, Any], guided: bool) -> None:
            assert tuple(out["frames"].shape) == (b, t, self.out_dim), \
                f"frames {tuple(out['frames'].shape)} != ({b}, {t}, {self.out_dim})"
            p = out["patches"]
            assert p.dim() == 4 and tuple(p.shape[:2]) == (b, t) and p.shape[-1] == self.hidden_size, \
                f"patches {tuple(p.shape)} is not [B,T,P,{self.hidden_size}]"
            if guided:
                for k in ("before", "after"):
                    if k in out:
                        assert tuple(out[k].shape) == (b, self.hidden_size), f"{k} {tuple(out[k].shape)}"
            for k, v in out.items():
                assert torch.isfinite(v).all(), f"non-finite {k}"

        def plain() -> str:
            check(self.encode(frames, None, use_p2v=False), False)
            return "encode(use_p2v=False)"

        def guided() -> str:
            if kp is None:
                return "example_inputs has no video_keypoint (guidance not exercised)"
            out = self.encode(frames, kp, use_p2v=True)
            check(out, True)
            return "encode(use_p2v=True): " + ", ".join(sorted(out))

        checks = {"encode": plain, "encode(keypoints)": guided}
        if self.supports("shared_layers"):
            def shared() -> str:
                layers = self.shared_layers()
                check_shared_layers(layers, "shared_layers()")
                own = {id(p) for p in self.parameters()}
                assert all(id(p) in own for p in layers.parameters()), \
                    "shared_layers() returned modules that are not the encoder's own (a copy?)"
                h = torch.randn(2, 3, self.hidden_size)
                out = shared_layer_forward(layers[0], h)
                assert tuple(out.shape) == (2, 3, self.hidden_size) and torch.isfinite(out).all(), \
                    f"layer 0 on [2,3,{self.hidden_size}] gave {tuple(out.shape)}"
                return f"{len(layers)} layers of width {self.hidden_size}"
            checks["shared_layers"] = shared
        return checks


class JointTokenEncoder(BranchEncoder):
    """Skeletons ``[B,M,T,V,C]`` -> one token per frame and joint (PeVL's pose slot).

    ``encode(x) -> [B,T,J,out_dim]`` (``J`` joints, all persons); ``forward`` is the
    same tokens flattened to ``[B,T*J,out_dim]`` (define it in the class).
    """

    input_kind = "skeleton"
    optional_capabilities = {
        "attach_shared_layers": "runs its joint tokens through another encoder's layers "
                                "(KeypointVideoEncoder.shared_layers()) with adapters of its own; "
                                "the layers are referenced, not copied or registered, so they are "
                                "stored and saved once (PeVL's shared CLIP pose encoder)",
    }

    @abc.abstractmethod
    def encode(self, x):
        """``[B,M,T,V,C] -> [B,T,J,out_dim]``."""

    @capability
    def attach_shared_layers(self, layers) -> None:
        """Use ``layers`` (from ``shared_layers()``) from now on; ``out_dim`` may change."""
        raise missing_capability(self, "attach_shared_layers")

    def capability_checks(self) -> Dict[str, Callable[[], str]]:
        args, _ = self.example_inputs()
        x = args[0]

        def encode() -> str:
            h = self.encode(x)
            assert h.dim() == 4 and h.shape[0] == x.shape[0] and h.shape[1] == x.shape[2] \
                and h.shape[-1] == self.out_dim, \
                f"encode {tuple(h.shape)} is not [B={x.shape[0]}, T={x.shape[2]}, J, {self.out_dim}]"
            return f"{tuple(h.shape)}"

        checks = {"encode": encode}
        if self.supports("attach_shared_layers"):
            def attach() -> str:
                import torch

                from ..vision import load_clip_vision

                layers = load_clip_vision(dict(
                    tiny=True, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                    num_attention_heads=2, image_size=32, patch_size=8, projection_dim=32,
                    seed=1)).vision_model.encoder.layers
                for p in layers.parameters():
                    p.requires_grad_(False)
                self.attach_shared_layers(layers)
                shared = {id(p) for p in layers.parameters()}
                assert not shared & {id(p) for p in self.parameters()}, \
                    "the attached layers are registered in the encoder (they would be saved twice)"
                h = self.encode(x)
                assert h.dim() == 4 and h.shape[1] == x.shape[2] and h.shape[-1] == self.out_dim, \
                    f"encode after attach {tuple(h.shape)}"
                with torch.no_grad():
                    layers[-1].mlp.fc2.bias.add_(1.0)
                    moved = not torch.allclose(self.encode(x), h)
                assert moved, "the output does not depend on the attached layers"
                return f"{tuple(h.shape)}"
            checks["attach_shared_layers"] = attach
        return checks
