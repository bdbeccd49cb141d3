import pytest
import torch
import torch.nn as nn

from facerec.registry import OPTIM_WRAPPERS


def test_forward_runs_in_bfloat16_and_updates_weights():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='AutocastOptimWrapper', device_type='cpu', optimizer=optimizer)
    )
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert model.weight.dtype == torch.float32 and not torch.equal(model.weight, before)
    assert model(torch.randn(1, 4)).dtype == torch.float32  # outside the context


def test_bad_dtype():
    with pytest.raises(ValueError, match='dtype'):
        OPTIM_WRAPPERS.build(
            dict(
                type='AutocastOptimWrapper',
                dtype='int8',
                optimizer=torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=1),
            )
        )
