"""Use a trained model: :func:`init_model`, :func:`inference` and the recognizer hooks.

Importing this package is light (no torch); the functions import what they need.
"""
from .inference import CheckpointMissing, InferenceResult, inference, init_model, locate
from .recognizer import (
    InferenceContext,
    InferenceInput,
    InferenceOutput,
    InferenceRecognizer,
    PreparedInput,
    skeleton_batch,
)

__all__ = ["init_model", "inference", "InferenceResult", "CheckpointMissing", "locate",
           "InferenceRecognizer", "InferenceInput", "InferenceOutput", "InferenceContext",
           "PreparedInput", "skeleton_batch"]
