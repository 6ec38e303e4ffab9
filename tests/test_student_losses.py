import itertools

import pytest
import torch

from cot_explorer.labels import mner_schema_for
from cot_explorer.student.crf import BioCRF
from cot_explorer.student.distill import masked_kl, relation_kl, total_loss

TAGS = mner_schema_for("twitter2017").tags


def is_valid_bio(tags: list[str]) -> bool:
    prev = "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            return False
        prev = t
    return True


def test_crf_decoding_never_yields_i_without_b():
    torch.manual_seed(0)
    crf = BioCRF(TAGS)
    with torch.no_grad():  # tempt it: learned transitions and emissions that love I- tags
        crf._parameters["transitions"].normal_(0, 3)
        crf._parameters["start_transitions"].normal_(0, 3)
    i_tags = [j for j, t in enumerate(TAGS) if t.startswith("I-")]
    for _ in range(50):
        em = torch.randn(8, 12, len(TAGS)) * 3
        em[:, :, i_tags] += 4.0
        mask = torch.ones(8, 12, dtype=torch.bool)
        mask[4:, 7:] = False
        for path in crf.decode(em, mask=mask):
            assert is_valid_bio([TAGS[t] for t in path])


def test_crf_marginals_match_brute_force():
    torch.manual_seed(1)
    tags = ("O", "B-PER", "I-PER")
    crf = BioCRF(tags)
    em = torch.randn(1, 4, 3)
    mask = torch.ones(1, 4, dtype=torch.bool)
    marg = crf.marginals(em, mask)[0]
    scores, seqs = [], list(itertools.product(range(3), repeat=4))
    for s in seqs:
        v = crf.start_transitions[s[0]] + em[0, 0, s[0]] + crf.end_transitions[s[-1]]
        for i in range(1, 4):
            v = v + crf.transitions[s[i - 1], s[i]] + em[0, i, s[i]]
        scores.append(v)
    p = torch.softmax(torch.stack(scores), 0)
    brute = torch.zeros(4, 3)
    for s, ps in zip(seqs, p):
        for i, t in enumerate(s):
            brute[i, t] += ps
    assert torch.allclose(marg, brute, atol=1e-5)


def test_distillation_loss_is_zero_when_views_agree_and_ignores_masked_positions():
    torch.manual_seed(2)
    crf = BioCRF(TAGS)
    em = torch.randn(2, 6, len(TAGS))
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], dtype=torch.bool)
    lp = crf.log_marginals(em, mask, temperature=2.0)
    assert masked_kl(lp, lp, mask).abs().item() < 1e-6
    other = em.clone()
    other[1, 3:] = torch.randn(3, len(TAGS)) * 10  # only masked words differ
    lq = crf.log_marginals(other, mask, temperature=2.0)
    assert masked_kl(lp, lq, mask).abs().item() < 1e-5
    changed = em.clone()
    changed[0, 2, 1] += 5.0  # one tag at one unmasked word
    assert masked_kl(lp, crf.log_marginals(changed, mask, 2.0), mask).item() > 1e-3


def test_relation_kl_and_total_loss():
    z = torch.randn(4, 23)
    assert relation_kl(z, z, 2.0).abs().item() < 1e-6
    assert relation_kl(z, z.flip(1), 2.0).item() > 0
    one = torch.tensor(1.0)
    assert total_loss(0.5, 2.0, one, one, one).item() == pytest.approx(0.5 * 2 + 0.5 * 4)
    assert total_loss(1.0, 2.0, one, one, torch.tensor(7.0)).item() == pytest.approx(2.0)
