"""Helpers the command-line tools share: building the runner, choosing the metric."""

from typing import Optional

from mmengine.config import Config

from .threads import set_cpu_threads

#: ``--metric`` names and the evaluator configs they select.
METRIC_ALIASES = {
    'lfw': dict(type='LFWMetric'),
    'rmse': dict(type='LandmarksMetric'),
    'landmarks': dict(type='LandmarksMetric'),
    'ident': dict(type='IdentificationMetric'),
}


def build_runner(cfg: Config):
    """Build the runner the config names (``runner_type``), :class:`FaceRunner` by default.

    torch gets the intra-op threads ``env_cfg.cpu_threads`` asks for first
    (see :func:`facerec.utils.threads.set_cpu_threads`).
    """
    from facerec.engine.runners import FaceRunner
    from facerec.registry import RUNNERS

    set_cpu_threads((cfg.get('env_cfg') or {}).get('cpu_threads'))
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return FaceRunner.from_cfg(cfg)


def set_test_metric(cfg: Config, metric: Optional[str] = None, out: Optional[str] = None) -> None:
    """Point ``cfg.test_evaluator`` at ``metric`` (an alias such as ``'lfw'`` or a
    registered metric type) and ask it to write per-sample results to ``out``."""
    if metric is not None:
        if metric.lower() in METRIC_ALIASES:
            evaluator = dict(METRIC_ALIASES[metric.lower()])
        else:
            from facerec.registry import METRICS

            if METRICS.get(metric) is None:
                raise KeyError(
                    f'Unknown metric {metric!r}; use one of {sorted(METRIC_ALIASES)} '
                    'or a registered metric type'
                )
            evaluator = dict(type=metric)
        cfg.test_evaluator = evaluator
    if out is not None:
        evaluators = cfg.test_evaluator
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for evaluator in evaluators:
            evaluator['out_file'] = out


def enable_amp(cfg: Config) -> None:
    """Switch the config to mixed precision: mmengine's ``AmpOptimWrapper`` (fp16,
    dynamic loss scale) on a GPU, :class:`AutocastOptimWrapper` (bfloat16) on CPU."""
    import torch

    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        cfg.optim_wrapper.type = 'AutocastOptimWrapper'
        cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
