"""Lazy registrations of components that ship inside hhir_core.

One line per component: ``(role, name, "module:attr")``. Modules listed here
are imported only when the component is first built.
"""
CORE_COMPONENTS = [
    ("hook", "ProvenanceHook", "hhir_core.engine.hooks:ProvenanceHook"),
    ("hook", "TrainableCheckpointHook", "hhir_core.engine.hooks:TrainableCheckpointHook"),
    ("hook", "MetricsDumpHook", "hhir_core.engine.hooks:MetricsDumpHook"),
    ("hook", "SafeCheckpointHook", "hhir_core.engine.hooks:SafeCheckpointHook"),
    ("hook", "RngStateHook", "hhir_core.engine.hooks:RngStateHook"),
    ("hook", "ProgressHook", "hhir_core.engine.console:ProgressHook"),
    ("hook", "CurvesHook", "hhir_core.engine.curves:CurvesHook"),
    # data-ntu: NTU datasets, skeleton transforms, classification metric
    ("dataset", "NTUSkeletonDataset", "hhir_core.data.ntu:NTUSkeletonDataset"),
    ("dataset", "NTUSkeleton2DDataset", "hhir_core.data.ntu:NTUSkeleton2DDataset"),
    ("transform", "NormalizeSkeleton3D", "hhir_core.data.transforms:NormalizeSkeleton3D"),
    ("transform", "NormalizeSkeleton2D", "hhir_core.data.transforms:NormalizeSkeleton2D"),
    ("transform", "UniformSampleFrames", "hhir_core.data.transforms:UniformSampleFrames"),
    ("transform", "RandomRotation", "hhir_core.data.transforms:RandomRotation"),
    ("transform", "RandomFlip", "hhir_core.data.transforms:RandomFlip"),
    ("transform", "PadPersons", "hhir_core.data.transforms:PadPersons"),
    ("transform", "SkeletonFeatures", "hhir_core.data.transforms:SkeletonFeatures"),
    ("transform", "PackSkeletonInputs", "hhir_core.data.transforms:PackSkeletonInputs"),
    ("metric", "ClassificationMetric", "hhir_core.evaluation.metrics:ClassificationMetric"),
    ("hook", "MetricWorkDirHook", "hhir_core.evaluation.metrics:MetricWorkDirHook"),
    # llm-core: language heads (hhir_core/llm)
    ("language_head", "CausalLMHead", "hhir_core.llm.causal_head:CausalLMHead"),
    ("language_head", "TextEncoderHead", "hhir_core.llm.text_encoder:TextEncoderHead"),
]
