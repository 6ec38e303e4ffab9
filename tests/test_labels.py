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
    # the refusal says how such a file is imported: OTHER in MISC's place, a new type added
    with pytest.raises(BioError, match="'B-OTHER'; a file with other types is imported with --types PER,LOC,ORG,OTHER"):
        bio_to_spans(["B-OTHER"], SCHEMA)
    with pytest.raises(BioError, match="--types PER,LOC,ORG,MISC,EVENT\\)"):
        bio_to_spans(["O", "I-EVENT"], SCHEMA)
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


def test_the_argument_types_the_span_editor_fits_relations_by():
    from cot_explorer.labels import MRE_RELATIONS, mnre_type_names, relation_argument_table

    table = relation_argument_table()
    assert list(table) == list(MRE_RELATIONS) and table["None"] is None
    assert table["/per/org/member_of"] == ["PER", "ORG"] and table["/misc/loc/held_on"] == ["MISC", "LOC"]
    assert sum(1 for types in table.values() if types and types[0] == "PER") == 16
    # Twitter-2015's OTHER is MNRE's MISC; a type no alias knows has no MNRE name
    assert mnre_type_names(["PER", "OTHER", "MISC", "DATE"]) == {"PER": "PER", "OTHER": "MISC", "MISC": "MISC",
                                                                  "DATE": None}
