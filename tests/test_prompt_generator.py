"""The conditional prompt generator's fast forward is the attention it replaces, and the
inference number format is chosen on purpose, never by accident."""

import pytest
import torch

from cot_explorer.errors import CotExplorerError
from cot_explorer.student import inference_dtype
from cot_explorer.student.prompt_generator import ConditionalPromptGenerator


def reference(g: ConditionalPromptGenerator, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    q = g.queries.unsqueeze(0).expand(x.size(0), -1, -1)
    ctx, _ = g.attn(q, x, x, key_padding_mask=mask == 0, need_weights=False)
    return g.out(ctx + q)


def test_fast_forward_equals_multihead_attention_with_padding():
    torch.manual_seed(0)
    g = ConditionalPromptGenerator(hidden=48, n_prompts=3, n_heads=4)
    with torch.no_grad():  # non-trivial biases and queries, so a dropped term would show
        g.queries.normal_()
        g.attn.in_proj_bias.normal_(std=0.5)
        g.attn.out_proj.bias.normal_(std=0.5)
    x = torch.randn(5, 9, 48)
    mask = torch.ones(5, 9, dtype=torch.long)
    mask[1, 4:] = 0
    mask[3, 1:] = 0  # only [CLS] left
    got, want = g(x, mask), reference(g, x, mask)
    assert got.shape == (5, 3, 48)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    x2 = x.clone()
    x2[1, 4:] = 100.0  # padded positions must not matter
    torch.testing.assert_close(g(x2, mask), got)


def test_fast_forward_gradients_match():
    torch.manual_seed(1)
    g = ConditionalPromptGenerator(hidden=32, n_prompts=2, n_heads=2)
    x = torch.randn(3, 6, 32)
    mask = torch.ones(3, 6, dtype=torch.long)
    mask[0, 3:] = 0
    g(x, mask).square().sum().backward()
    fast = {n: p.grad.clone() for n, p in g.named_parameters()}
    g.zero_grad()
    reference(g, x, mask).square().sum().backward()
    for n, p in g.named_parameters():
        torch.testing.assert_close(fast[n], p.grad, atol=1e-4, rtol=1e-4, msg=n)


def test_inference_dtype_is_explicit(monkeypatch):
    monkeypatch.delenv(inference_dtype.DTYPE_ENV, raising=False)
    assert inference_dtype.resolve_dtype("fp32") == "fp32"
    with pytest.raises(CotExplorerError, match="choose one of"):
        inference_dtype.resolve_dtype("int4")
    monkeypatch.setenv(inference_dtype.DTYPE_ENV, "fp32")
    assert inference_dtype.resolve_dtype(None) == "fp32"  # the environment decides when nothing is asked
    monkeypatch.delenv(inference_dtype.DTYPE_ENV)
    native = inference_dtype.cpu_has_native_bf16()
    assert inference_dtype.resolve_dtype("auto") == ("bf16" if native else "fp32")
    if not native:
        with pytest.raises(CotExplorerError, match="no native bfloat16"):
            inference_dtype.resolve_dtype("bf16")
