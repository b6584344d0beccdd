"""Each third-party work-around of hhir_core/compat.py (docs/architecture.md), checked against the real libraries."""
from __future__ import annotations

import io
import pickle
import subprocess

import numpy as np
import pytest
import torch

from helpers import PYTHON


def test_mmaction_models_import_with_fixes():
    code = ("from hhir_core.compat import import_mmaction_models\n"
            "m = import_mmaction_models()\n"
            "import mmaction.utils.dependency as d\n"
            "print(m.STGCN.__name__, m.AAGCN.__name__, d.WITH_MULTIMODAL)")
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["STGCN", "AAGCN", "False"]


def test_history_buffer_loads_with_weights_only():
    from mmengine.logging import MessageHub
    from mmengine.logging.history_buffer import HistoryBuffer

    from hhir_core.compat import enable_safe_checkpoints

    enable_safe_checkpoints()
    hub = MessageHub.get_instance("compat_test")
    hub.update_scalar("train/loss", np.float64(0.5))
    hub.update_scalar("train/loss", 0.25)
    buf = io.BytesIO()
    torch.save({"message_hub": hub.state_dict(), "arr": np.arange(3)}, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True)
    restored = loaded["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(restored, HistoryBuffer)
    assert restored.mean() == pytest.approx(0.375)
    assert loaded["arr"].tolist() == [0, 1, 2]


def test_getattr_is_not_allow_listed():
    """A pickle that calls builtins.getattr must still be refused."""
    from hhir_core.compat import enable_safe_checkpoints

    enable_safe_checkpoints()

    class Evil:
        def __reduce__(self):
            return (getattr, (object, "__name__"))

    buf = io.BytesIO()
    torch.save({"x": Evil()}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(buf, weights_only=True)


def test_cli_hides_mmcv_lite_ops_warning():
    """`hhir config show` imports mmcv.cnn through the model registries; the missing-ops warning of
    mmcv-lite asks nothing of the user and must not reach the terminal."""
    import subprocess

    from helpers import PYTHON, REPO

    out = subprocess.run([PYTHON, "-m", "hhir_core.cli", "config", "show", "--validate",
                          "configs/stgcn_ntu120.py"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "configs/stgcn_ntu120.py" in out.stdout + out.stderr
    assert "MultiScaleDeformableAttention" not in out.stdout + out.stderr
    assert "/../" not in out.stdout + out.stderr  # paths are shown normalised


def test_lora_wrap_deprecation_is_silenced():
    """peft reads transformers' deprecated ``is_gradient_checkpointing`` on every LoRA wrap;
    the FutureWarning asks nothing of the user and is filtered at the source."""
    import warnings

    from hhir_core.compat import silence_known_warnings
    from hhir_core.llm.causal_head import CausalLMHead

    tiny = dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CausalLMHead(model=tiny, lora=dict(r=2, dropout=0.0))
    if not any("is_gradient_checkpointing" in str(w.message) for w in caught):
        pytest.skip("this peft/transformers pair does not emit the deprecation")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_known_warnings()
        CausalLMHead(model=tiny, lora=dict(r=2, dropout=0.0))
    assert not [w for w in caught if "is_gradient_checkpointing" in str(w.message)]


def test_kv_cache_rename_notices_are_silenced():
    """transformers 5 renames ``past_key_values`` and says so on every generation; hhir keeps the
    keyword every supported release accepts, so neither the warning nor the log line shows."""
    import logging
    import warnings

    from hhir_core.compat import silence_known_warnings

    silence_known_warnings()
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append
    generic = logging.getLogger("transformers.utils.generic")
    generic.addHandler(handler)
    try:
        generic.warning("`past_key_values`/`cache_params` are deprecated. Use `cache` instead.")
        generic.warning("an unrelated transformers message")
    finally:
        generic.removeHandler(handler)
    assert [r.getMessage() for r in seen] == ["an unrelated transformers message"]
    with warnings.catch_warnings(record=True) as caught:
        silence_known_warnings()
        warnings.warn("`past_key_values` is deprecated and will be removed in version 5.4", FutureWarning)
    assert not caught
