"""Lazy registrations of components that ship inside hhir_core.

One line per component: ``(role, name, "module:attr")``. Modules listed here
are imported only when the component is first built.
"""
CORE_COMPONENTS = [
    ("hook", "ProvenanceHook", "hhir_core.engine.hooks:ProvenanceHook"),
    ("hook", "TrainableCheckpointHook", "hhir_core.engine.hooks:TrainableCheckpointHook"),
    ("hook", "MetricsDumpHook", "hhir_core.engine.hooks:MetricsDumpHook"),
    # ski: paired RGB clips + NTU skeletons (generic, used by SKI)
    ("dataset", "VideoSkeletonDataset", "hhir_core.data.video_skeleton:VideoSkeletonDataset"),
]
