"""The NumPy CRF decoder (the ONNX backend's) gives pytorch-crf's Viterbi paths and the same
marginals, for a whole batch of posts of different lengths at once."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cot_explorer.student.crf import BioCRF
from cot_explorer.student.crf_numpy import NumpyCRF

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), lengths=st.lists(st.integers(0, 12), min_size=1, max_size=9),
       padding=st.integers(0, 3))
def test_numpy_decoding_matches_pytorch_crf_on_a_batch_of_mixed_lengths(seed, lengths, padding):
    torch.manual_seed(seed)
    crf = BioCRF(TAGS)
    with torch.no_grad():
        for p in crf.parameters():
            p.uniform_(-2, 2)
    W = max(max(lengths), 1)
    em = torch.randn(len(lengths), W, len(TAGS)) * 3
    np_crf = NumpyCRF(TAGS, crf._parameters["start_transitions"].detach().numpy(),
                      crf.end_transitions.detach().numpy(), crf._parameters["transitions"].detach().numpy())
    wide = np.concatenate([em.numpy(), np.full((len(lengths), padding, len(TAGS)), 1e4, np.float32)], axis=1)
    with np.errstate(over="raise", invalid="raise"):   # past a post's end is never read; nothing overflows
        paths, conf = np_crf.decode(wide, lengths)
    assert [len(p) for p in paths] == lengths and [len(c) for c in conf] == lengths
    live = [b for b, n in enumerate(lengths) if n > 0]
    if not live:
        return
    mask = torch.tensor([[i < lengths[b] for i in range(W)] for b in live])
    want = crf.decode(em[live], mask)
    marg = crf.marginals(em[live], mask)
    for k, b in enumerate(live):
        assert paths[b] == want[k]
        expected = [float(marg[k, i, t]) for i, t in enumerate(want[k])]
        assert np.allclose(conf[b], expected, atol=1e-4)


def test_lengths_that_do_not_fit_the_emissions_are_refused():
    crf = NumpyCRF(TAGS, np.zeros(len(TAGS)), np.zeros(len(TAGS)), np.zeros((len(TAGS), len(TAGS))))
    em = np.zeros((2, 4, len(TAGS)), np.float32)
    for bad in ([5, 1], [1], [-1, 2]):
        with pytest.raises(ValueError, match="do not match"):
            crf.decode(em, bad)
    assert crf.decode(em, [0, 4])[0][0] == [] and len(crf.decode(em, [0, 4])[0][1]) == 4
