from pathlib import Path

from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    register("dataset", "ToyClusterDataset", "hhir_toy.components:ToyClusterDataset")
    register("model", "ToyClassifier", "hhir_toy.components:ToyClassifier")
    register("metric", "ToyAccuracy", "hhir_toy.components:ToyAccuracy")
    register("hook", "ParamDumpHook", "hhir_toy.components:ParamDumpHook")


@hookimpl
def hhir_config_dir():
    return str(Path(__file__).parent / "configs")
