"""ChannelsLastHook: 4-D weights become NHWC, parameters and results stay the same."""

import copy
from types import SimpleNamespace

import torch

from facerec.registry import HOOKS, MODELS


def _model():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='MobileFaceNet',
            widen_factor=0.25,
            embedding_size=32,
            input_size=32,
            last_channels=64,
        )
    ).eval()


def _conv_weights(model):
    return [p for p in model.parameters() if p.dim() == 4]


def test_converts_weights_in_place_and_keeps_outputs():
    model = _model()
    reference = copy.deepcopy(model)
    params = list(model.parameters())
    weights = _conv_weights(model)
    assert weights and not any(
        w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous()
        for w in weights
    )
    hook = HOOKS.build(dict(type='ChannelsLastHook'))
    runner = SimpleNamespace(model=model)
    for stage in (hook.before_train, hook.before_val, hook.before_test):
        stage(runner)
        # the optimiser's references stay valid: the same Parameter objects
        assert all(a is b for a, b in zip(params, model.parameters()))
        assert all(w.is_contiguous(memory_format=torch.channels_last) for w in weights)
    for a, b in zip(reference.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected, out = reference(x), model(x)
    expected = expected[-1] if isinstance(expected, (tuple, list)) else expected
    out = out[-1] if isinstance(out, (tuple, list)) else out
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_gradients_flow_in_channels_last():
    model = _model().train()
    HOOKS.build(dict(type='ChannelsLastHook')).before_train(SimpleNamespace(model=model))
    out = model(torch.randn(4, 3, 32, 32))
    out = out[-1] if isinstance(out, (tuple, list)) else out
    out.pow(2).sum().backward()
    assert all(w.grad is not None for w in _conv_weights(model))
