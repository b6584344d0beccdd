"""The six role interfaces (one module each) and their shared base."""
from .base import RoleComponent
from .branch_encoder import BranchEncoder
from .distiller import Distiller
from .language_head import LanguageHead
from .pose_source import PoseSource
from .segmenter import Segmenter
from .tokenizer import Tokenizer

INTERFACES = {c.role: c for c in (Segmenter, PoseSource, BranchEncoder, Tokenizer,
                                  LanguageHead, Distiller)}
__all__ = ["RoleComponent", "Segmenter", "PoseSource", "BranchEncoder", "Tokenizer",
           "LanguageHead", "Distiller", "INTERFACES"]
