"""The role interfaces (one module per role) and the richer contracts some slots need.

``INTERFACES`` maps each of the six roles to its base interface (what the
registry checks on registration); ``CONTRACTS`` lists every contract a method's
slot can ask for (see :mod:`hhir_core.interfaces.slots`).
"""
from .base import RoleComponent, capability, expect_contract, missing_capability, require
from .branch_encoder import BranchEncoder, JointTokenEncoder, KeypointVideoEncoder, shared_layer_forward
from .distiller import Distiller
from .language_head import CausalLM, LanguageHead, TextEncoder
from .pose_source import PoseSource
from .segmenter import Segmenter
from .slots import Slot, component_fits, slot_table
from .tokenizer import SkeletonTokenizer, Tokenizer
from .version import CONTRACT_VERSION

INTERFACES = {c.role: c for c in (Segmenter, PoseSource, BranchEncoder, Tokenizer,
                                  LanguageHead, Distiller)}
#: every contract, by class name (the role bases plus the richer slot contracts)
CONTRACTS = {c.__name__: c for c in (Segmenter, PoseSource, BranchEncoder, KeypointVideoEncoder,
                                     JointTokenEncoder, Tokenizer, SkeletonTokenizer,
                                     LanguageHead, CausalLM, TextEncoder, Distiller)}
__all__ = ["CONTRACT_VERSION", "RoleComponent", "Segmenter", "PoseSource", "BranchEncoder", "KeypointVideoEncoder",
           "JointTokenEncoder", "Tokenizer", "SkeletonTokenizer", "LanguageHead", "CausalLM",
           "TextEncoder", "Distiller", "INTERFACES", "CONTRACTS", "capability", "require",
           "missing_capability", "expect_contract", "Slot", "component_fits", "slot_table",
           "shared_layer_forward"]
