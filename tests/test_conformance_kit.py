"""The conformance kit catches what it claims to catch.

Each test feeds the kit a deliberately broken component and checks that the
report fails *that* check with a message naming the check and the component;
a well-behaved twin passes, so the failures are not the kit failing on
everything.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
torch.set_num_threads(1)
from torch import nn  # noqa: E402

from hhir_core.interfaces import BranchEncoder, SkeletonTokenizer, Tokenizer  # noqa: E402
from hhir_core.structures import TokenizerOutput  # noqa: E402
from hhir_core.testing import ConformanceFailure, assert_conforms, check_class, collect_components  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ components
class GoodEncoder(nn.Module, BranchEncoder):
    """A conforming skeleton encoder: [B,M,T,V,C] -> [B,T,D]."""

    def __init__(self, in_channels: int = 3, joints: int = 5, out_dim: int = 8) -> None:
        super().__init__()
        self.in_channels, self.joints, self._out_dim = in_channels, joints, out_dim
        self.proj = nn.Linear(in_channels * joints, out_dim)

    @property
    def out_dim(self) -> int:
        return self._out_dim

    @classmethod
    def tiny_config(cls):
        return dict(in_channels=3, joints=5, out_dim=8)

    def example_inputs(self, batch_size: int = 2):
        return (torch.randn(batch_size, 1, 6, self.joints, self.in_channels),), {}

    def forward(self, x, **extra):
        b, m, t, v, c = x.shape
        return self.proj(x.permute(0, 2, 1, 3, 4).reshape(b, t, m, v * c).mean(2))


class WrongShapeEncoder(GoodEncoder):
    """Claims out_dim=8 but returns 4-wide tokens."""

    def forward(self, x, **extra):
        return super().forward(x)[..., :4]


class DeadParameterEncoder(GoodEncoder):
    """Owns a trainable layer that never takes part in forward."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.unused_head = nn.Linear(8, 8)


class NoFactoryEncoder(nn.Module, BranchEncoder):
    """Forgot tiny() and example_inputs()."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(3, 8)

    @property
    def out_dim(self) -> int:
        return 8

    def forward(self, x, **extra):
        return self.proj(x)


class NonFiniteEncoder(GoodEncoder):
    def forward(self, x, **extra):
        return super().forward(x) / 0.0


class CallCounterEncoder(GoodEncoder):
    """Output depends on hidden global state, not on the seed."""
    calls = 0

    def forward(self, x, **extra):
        type(self).calls += 1
        return super().forward(x) + type(self).calls


class VolatileBufferEncoder(GoodEncoder):
    """A random non-persistent buffer: the state dict does not restore the outputs."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.register_buffer("mix", torch.randn(8, 8), persistent=False)

    def forward(self, x, **extra):
        return super().forward(x) @ self.mix


class ObjectConfigEncoder(GoodEncoder):
    """tiny() passes a module object: no config file can hold that."""

    def __init__(self, norm: nn.Module = None, **kw) -> None:
        super().__init__(**kw)
        self.norm = norm if norm is not None else nn.Identity()

    @classmethod
    def tiny(cls, **overrides):
        return cls(norm=nn.LayerNorm(8), in_channels=3, joints=5, out_dim=8)

    def forward(self, x, **extra):
        return self.norm(super().forward(x))


class PhoneHomeEncoder(GoodEncoder):
    """Tries to reach the network in forward (and shrugs off the error)."""

    def forward(self, x, **extra):
        try:
            socket.create_connection(("example.org", 80), timeout=0.5)
        except OSError:
            pass
        return super().forward(x)


class BadTokenizer(nn.Module, Tokenizer):
    """Tokenizer whose ids do not match its embeddings and whose loss is not a scalar."""
    input_kind = "tokens"

    def __init__(self, in_dim: int = 6, llm_dim: int = 10) -> None:
        super().__init__()
        self.proj = nn.Linear(in_dim, llm_dim)
        self._llm_dim, self.in_dim = llm_dim, in_dim

    @property
    def llm_dim(self) -> int:
        return self._llm_dim

    @classmethod
    def tiny_config(cls):
        return dict(in_dim=6, llm_dim=10)

    def example_inputs(self, batch_size: int = 2):
        return (torch.randn(batch_size, 4, self.in_dim),), {}

    def forward(self, x, **extra):
        e = self.proj(x)
        ids = torch.zeros(e.shape[0], e.shape[1] + 1, dtype=torch.long)
        return TokenizerOutput(embeds=e, ids=ids, losses={"loss_x": e.pow(2).mean(-1)})


def _status(report, check):
    r = report.result(check)
    assert r is not None, f"check {check} missing from {[c.name for c in report.checks]}"
    return r.status, r.message


def _run(cls, **kw):
    return check_class(cls, probe_import=False, **kw)


# ------------------------------------------------------------------------------ tests
def test_conforming_component_passes_every_check():
    report = _run(GoodEncoder)
    assert report.ok, report.failure_message()
    statuses = {c.name: c.status for c in report.checks}
    for check in ("factory", "contract", "finite", "cpu_only", "gradients", "determinism",
                  "config_roundtrip", "state_dict", "no_network"):
        assert statuses[check] == "pass", (check, statuses)


def test_wrong_output_shape_fails_contract_naming_check_and_component():
    report = _run(WrongShapeEncoder, name="WrongShapeEncoder")
    assert not report.ok
    assert _status(report, "contract")[0] == "fail"
    with pytest.raises(ConformanceFailure) as err:
        assert_conforms(WrongShapeEncoder, probe_import=False)
    msg = str(err.value)
    assert "WrongShapeEncoder" in msg and "contract" in msg and "out_dim 8" in msg


def test_parameter_without_gradient_fails_gradients_check():
    with pytest.raises(ConformanceFailure) as err:
        assert_conforms(DeadParameterEncoder, probe_import=False)
    msg = str(err.value)
    assert "DeadParameterEncoder" in msg
    assert "- gradients:" in msg and "unused_head.weight" in msg and "unused_head.bias" in msg
    # the other checks are unaffected
    assert [c.name for c in err.value.report.failures] == ["gradients"]


def test_missing_factory_fails_and_names_component():
    report = _run(NoFactoryEncoder)
    status, msg = _status(report, "factory")
    assert status == "fail" and "NoFactoryEncoder" in msg
    assert "tiny()" in msg and "example_inputs()" in msg
    # the checks that need an instance say why they did not run, and do not pass
    assert _status(report, "contract")[0] == "blocked"
    assert not report.ok


def test_non_finite_output_fails_finite():
    assert _status(_run(NonFiniteEncoder), "finite")[0] == "fail"


def test_hidden_state_fails_determinism():
    status, msg = _status(_run(CallCounterEncoder), "determinism")
    assert status == "fail" and "values differ" in msg


def test_non_persistent_random_buffer_fails_state_dict():
    status, msg = _status(_run(VolatileBufferEncoder), "state_dict")
    assert status == "fail" and "differ" in msg


def test_unserialisable_tiny_kwargs_fail_config_roundtrip():
    status, msg = _status(_run(ObjectConfigEncoder), "config_roundtrip")
    assert status == "fail" and "norm=LayerNorm" in msg


def test_tiny_only_component_gets_config_roundtrip_from_captured_kwargs():
    # a class overriding only tiny() (no own tiny_config): kwargs are captured from the call
    class LegacyTiny(GoodEncoder):
        @classmethod
        def tiny(cls, **overrides):
            return cls(in_channels=3, joints=5, out_dim=6)

    report = _run(LegacyTiny)
    status, msg = _status(report, "config_roundtrip")
    assert status == "pass" and '"out_dim": 6' in msg, msg
    assert report.ok, report.failure_message()


def test_network_access_fails_no_network_even_if_caught():
    report = _run(PhoneHomeEncoder)
    status, msg = _status(report, "no_network")
    assert status == "fail" and "example.org" in msg
    # the guard is lifted afterwards
    assert socket.create_connection.__module__ == "socket"


def test_tokenizer_contract_violations():
    report = _run(BadTokenizer)
    status, msg = _status(report, "contract")
    assert status == "fail" and "ids" in msg


def test_expected_failures_are_explicit_and_reported():
    reason = "head is trained in a later stage"
    report = _run(DeadParameterEncoder, expected_failures={"gradients": reason})
    assert report.ok
    status, msg = _status(report, "gradients")
    assert status == "xfail" and reason in msg
    assert report.as_dict()["expected_failures"] == {"gradients": reason}

    class Declared(DeadParameterEncoder):
        expected_failures = {"gradients": reason}
    assert _run(Declared).ok

    # a stale opt-out (the check passes) fails, so the list cannot rot
    stale = _run(GoodEncoder, expected_failures={"gradients": "no longer true"})
    assert not stale.ok and _status(stale, "gradients")[0] == "xpass"
    # an unknown check name is an error, not a silent no-op
    typo = _run(GoodEncoder, expected_failures={"gradient": "typo"})
    assert not typo.ok and "unknown check name" in typo.failures[0].message


def test_import_probe_catches_file_writes_and_network(tmp_path, monkeypatch):
    pkg = tmp_path / "noisy_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "loud.py").write_text(textwrap.dedent("""
        import os, socket
        open("written_at_import.txt", "w").write("x")
        os.makedirs(os.path.expanduser("~/.cache/noisy"), exist_ok=True)
        open(os.path.expanduser("~/.cache/noisy/blob"), "w").write("x")
        try:
            socket.create_connection(("example.org", 80), timeout=0.5)
        except OSError:
            pass
    """))
    (pkg / "quiet.py").write_text("import json\nVALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from hhir_core.testing.checks import probe_imports

    res = probe_imports(["noisy_pkg.quiet", "noisy_pkg.loud"])
    assert res["noisy_pkg.quiet"]["error"] is None
    assert res["noisy_pkg.quiet"]["new_files"] == [] and res["noisy_pkg.quiet"]["network"] == []
    loud = res["noisy_pkg.loud"]
    assert any(f.endswith("written_at_import.txt") for f in loud["new_files"]), loud
    assert any(f.endswith(".cache/noisy/blob") for f in loud["new_files"]), loud
    assert loud["network"] and "example.org" in loud["network"][0]
    assert not (Path.cwd() / "written_at_import.txt").exists()


def test_collect_components_reads_the_registry_without_importing():
    refs = collect_components()
    for ref in refs:
        assert ref.role in ("segmenter", "pose_source", "branch_encoder", "tokenizer",
                            "language_head", "distiller")
        assert ":" in ref.target and ref.id == f"{ref.role}:{ref.name}"
    assert collect_components(dists=["no-such-dist"]) == []


def _pytest(args, cwd, timeout=300):
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_pytest_plugin_is_inert_and_cheap(tmp_path):
    """Another project's pytest run is unaffected: no generated tests, no heavy imports."""
    (tmp_path / "test_other.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    res = _pytest(["-q"], tmp_path)
    assert res.returncode == 0 and "1 passed" in res.stdout, res.stdout + res.stderr
    code = ("import sys, hhir_core.testing.pytest_plugin, hhir_core.testing; "
            "print(sorted(m for m in ('torch', 'mmengine', 'hhir_core.registry', "
            "'hhir_core.testing.kit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_pytest_option_generates_items_and_unknown_dist_fails(tmp_path):
    res = _pytest(["--co", "-q", "--hhir-conformance", "no-such-dist"], tmp_path)
    assert "hhir-conformance[no-such-dist]" in res.stdout, res.stdout + res.stderr
    res = _pytest(["-q", "--hhir-conformance", "no-such-dist"], tmp_path)
    assert res.returncode != 0 and "no installed plugin distribution" in res.stdout
    if not collect_components(dists=["hhir"]):
        pytest.skip("no built-in role components registered yet")
    res = _pytest(["--co", "-q", "--hhir-conformance", "hhir"], tmp_path)
    first = collect_components(dists=["hhir"])[0]
    assert f"hhir-conformance[{first.id}]" in res.stdout, res.stdout + res.stderr


def test_missing_optional_extra_is_a_reported_skip_not_a_pass():
    class NeedsExtra(GoodEncoder):
        optional_requires = ("hhir_no_such_extra_pkg",)

    report = _run(NeedsExtra)
    assert report.skipped and "hhir_no_such_extra_pkg" in report.skipped
    assert report.checks == [] and report.as_dict()["skipped"]
    with pytest.raises(pytest.skip.Exception, match="hhir_no_such_extra_pkg"):
        assert_conforms(NeedsExtra, probe_import=False)


def test_text_report_names_components_and_failed_checks():
    from hhir_core.testing import KitReport

    good = _run(GoodEncoder, name="GoodEncoder")
    bad = _run(DeadParameterEncoder, name="DeadParameterEncoder")
    text = KitReport(dist="demo", version="1.0", components=[good, bad]).format_text()
    assert "PASS  branch_encoder  GoodEncoder" in text
    assert "FAIL  branch_encoder  DeadParameterEncoder" in text
    assert "fail    gradients" in text and "unused_head.weight" in text
    assert text.splitlines()[-1].startswith("FAILED: 1/2 components conform")


# ------------------------------------------------------------------------------ capabilities
class _CodebookTokenizer(nn.Module, SkeletonTokenizer):
    """A tiny codebook tokenizer: frames -> nearest of ``num_codes`` codes (a straight-through VQ)."""

    def __init__(self, in_channels: int = 6, llm_dim: int = 8, num_codes: int = 4,
                 shift_codes: bool = False) -> None:
        super().__init__()
        self.in_channels, self._llm_dim, self.num_codes = in_channels, llm_dim, num_codes
        self.proj = nn.Linear(in_channels, llm_dim)
        self.codebook = nn.Parameter(torch.randn(num_codes, llm_dim))
        self.shift_codes = shift_codes

    @property
    def llm_dim(self) -> int:
        return self._llm_dim

    def forward(self, x, compute_losses: bool = True, **extra):
        b, m, t, v, c = x.shape
        z = self.proj(x.permute(0, 2, 1, 3, 4).reshape(b, t, m * v * c))
        ids = torch.cdist(z, self.codebook[None].expand(b, -1, -1)).argmin(-1)
        q = self.codebook[ids]
        embeds = z + (q - z).detach()
        losses, extras = {}, {}
        if compute_losses:
            extras["recon_error"] = (q - z).pow(2).mean((1, 2))
            losses["loss_vq"] = extras["recon_error"].mean()
        return TokenizerOutput(embeds=embeds, ids=ids, losses=losses, extras=extras)

    def code_vectors(self):
        # a wrong declaration when shift_codes: row k is not what id k embeds to
        return self.codebook + (1.0 if self.shift_codes else 0.0)

    @classmethod
    def tiny_config(cls):
        return dict(in_channels=6, llm_dim=8, num_codes=4)

    def example_inputs(self, batch_size: int = 2):
        return (torch.randn(batch_size, 1, 5, 2, 3),), {}


class _WrongCodeVectorsTokenizer(_CodebookTokenizer):
    @classmethod
    def tiny_config(cls):
        return dict(in_channels=6, llm_dim=8, num_codes=4, shift_codes=True)


def test_declared_capability_is_checked_and_reported():
    report = _run(_CodebookTokenizer)
    assert report.ok, report.failure_message()
    assert report.contracts == ["SkeletonTokenizer"] and report.capabilities == ["code_vectors"]
    status, msg = _status(report, "capabilities")
    assert status == "pass" and "code_vectors" in msg and "embeds == code_vectors()[ids]" in msg
    assert "optional capabilities: code_vectors" in \
        __import__("hhir_core.testing.kit", fromlist=["KitReport"]).KitReport(
            dist="x", components=[report]).format_text()


def test_wrong_capability_fails_the_capabilities_check():
    report = _run(_WrongCodeVectorsTokenizer)
    status, msg = _status(report, "capabilities")
    assert status == "fail" and "code_vectors" in msg and "embeds != code_vectors()[ids]" in msg
    # the undeclared capabilities keep their defaults: a clear one-line error
    from hhir_core.errors import ConfigError

    with pytest.raises(ConfigError, match="does not implement the optional capability init_codebook_from"):
        _CodebookTokenizer().init_codebook_from(torch.randn(5, 8))
    assert not _CodebookTokenizer.supports("init_codebook_from")
