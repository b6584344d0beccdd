"""NTU class names and protocol data, checked against the real fixtures."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hhir_core.data import ntu_classes as nc
from hhir_core.errors import DataError

FIXTURES = Path(os.environ.get("HHIR_FIXTURES",
                               Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"))
NTU = FIXTURES / "ntu"
needs_fixtures = pytest.mark.skipif(not NTU.is_dir(), reason=f"fixtures absent: {NTU}")


def test_class_lists() -> None:
    c60, c120 = nc.ntu60_classes(), nc.ntu120_classes()
    assert len(c60) == 60 and len(c120) == 120
    assert c120[:60] == c60
    assert c60[0] == "drink water"
    assert len(set(c120)) == 120
    assert nc.class_names(60) == c60
    with pytest.raises(DataError):
        nc.class_names(10)


def test_zero_shot_splits_sizes() -> None:
    for name, total, unseen in (("ntu60_55_5", 60, 5), ("ntu60_48_12", 60, 12),
                                ("ntu120_110_10", 120, 10), ("ntu120_96_24", 120, 24)):
        u = nc.zero_shot_split(name)
        assert len(u) == unseen and len(set(u)) == unseen and max(u) < total
        seen = nc.seen_classes(name)
        assert len(seen) == total - unseen and not set(seen) & set(u)
    with pytest.raises(DataError, match="ntu60_55_5"):
        nc.zero_shot_split("ntu60_50_10")


def test_mutual_and_splits() -> None:
    assert len(nc.mutual_classes(60)) == 11 and len(nc.mutual_classes(120)) == 26
    assert nc.xview_train_cameras() == [2, 3]
    assert nc.xset_train_setups() == list(range(2, 33, 2))
    assert len(nc.xsub_train_subjects("ntu60")) == 20
    assert len(nc.xsub_train_subjects("ntu120")) == 53
    sp = nc.standard_splits(["S001C001P001R001A001", "S002C002P003R002A060", "junk"])
    assert sp["xsub_train"] == ["S001C001P001R001A001"]
    assert sp["xsub_val"] == ["S002C002P003R002A060"]
    assert sp["xview_train"] == ["S002C002P003R002A060"]
    assert sp["xset_train"] == ["S002C002P003R002A060"]
    assert nc.parse_frame_dir("S017C003P020R002A120") == dict(
        setup=17, camera=3, subject=20, replication=2, action=120)


@pytest.mark.realdata
@needs_fixtures
def test_against_fixtures() -> None:
    for n, fn in ((60, nc.ntu60_classes), (120, nc.ntu120_classes)):
        ref = (NTU / f"label_map_ntu{n}.txt").read_text(encoding="utf-8").splitlines()
        assert fn() == [r.strip() for r in ref if r.strip()]
    proto = json.loads((NTU / "protocols.json").read_text())
    for name, unseen in proto["zero_shot_unseen"].items():
        assert nc.zero_shot_split(name) == unseen
    assert nc.mutual_classes(120) == proto["mutual_two_person"]["ntu120_mutual_26"]
    assert nc.mutual_classes(60) == proto["mutual_two_person"]["ntu60_mutual_11"]
    for v in ("ntu60", "ntu120"):
        assert nc.xsub_train_subjects(v) == proto["cross_subject_train_subjects"][v]
    assert nc.xview_train_cameras() == proto["other_protocols"]["ntu60_xview_train_cameras"]
    assert "even setups 2..32" == proto["other_protocols"]["ntu120_xset_train_setups"]
    assert "\u2019" in nc.ntu120_classes()[108] + nc.ntu120_classes()[116]
