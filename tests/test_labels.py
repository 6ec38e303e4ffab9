import pytest

from cot_explorer.errors import ValidationError
from cot_explorer.labels import (
    MRE_RELATIONS,
    BioError,
    bio_to_spans,
    mner_schema_for,
    relation_argument_types,
    spans_to_bio,
)
from cot_explorer.schema import Span

SCHEMA = mner_schema_for("twitter2017")


def test_bio_round_trip():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG", "I-ORG"]
    spans, repaired = bio_to_spans(tags, SCHEMA)
    assert spans == [Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(4, 7, "ORG")] and repaired == 0
    assert spans_to_bio(spans, len(tags)) == tags


def test_i_after_o_is_refused_by_default_and_repaired_on_request():
    tags = ["O", "I-MISC", "I-MISC", "B-PER", "I-LOC"]
    with pytest.raises(BioError) as e:
        bio_to_spans(tags, SCHEMA)
    assert e.value.index == 1
    spans, repaired = bio_to_spans(tags, SCHEMA, repair=True)
    assert spans == [Span(1, 3, "MISC"), Span(3, 4, "PER"), Span(4, 5, "LOC")] and repaired == 2


def test_unknown_tag_and_dataset_schemas():
    with pytest.raises(BioError, match="B-OTHER"):
        bio_to_spans(["B-OTHER"], SCHEMA)
    assert "B-OTHER" in mner_schema_for("twitter2015").tags
    assert mner_schema_for("mine", ["PER", "PRODUCT"]).types == ("PER", "PRODUCT")
    with pytest.raises(ValidationError):
        mner_schema_for("mine", ["PER", "PER"])


def test_spans_to_bio_refuses_out_of_range_and_overlap():
    with pytest.raises(ValidationError, match="out of range"):
        spans_to_bio([Span(2, 5, "PER")], 4)
    with pytest.raises(ValidationError, match="overlaps"):
        spans_to_bio([Span(0, 2, "PER"), Span(1, 3, "LOC")], 4)


def test_mnre_label_set():
    assert len(MRE_RELATIONS) == 23 and "None" in MRE_RELATIONS
    assert relation_argument_types("/per/org/member_of") == ("PER", "ORG")
    assert relation_argument_types("None") is None


def test_relations_fitting_an_entity_pair_by_its_types():
    from cot_explorer.labels import MRE_RELATIONS, relations_fitting

    assert relations_fitting("PER", "ORG") == ("None", "/per/org/member_of")
    assert relations_fitting("OTHER", "LOC") == ("None", "/misc/loc/held_on")   # Twitter-2015's name for MISC
    per_any = relations_fitting("PER", None)
    assert per_any[0] == "None" and all(r.startswith("/per/") for r in per_any[1:]) and len(per_any) == 17
    assert relations_fitting(None, None) == MRE_RELATIONS
