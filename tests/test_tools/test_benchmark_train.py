"""tools/analysis/benchmark_train.py in a fresh process, on the tiny config."""

import re

from test_train_test_tools import run, write_config


def _rate(out: str, label: str) -> float:
    line = re.search(rf'\| {re.escape(label)}[^|]* \| ([\d.]+) \| ([\d.]+) \|', out)
    assert line, out
    return float(line.group(2))


def test_benchmark_train_times_runner_loop_pipeline_and_model(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work')
    cfg['train_dataloader']['num_workers'] = 1
    path = write_config(cfg, tmp_path / 'tiny.py')
    code, out = run(
        ['tools/analysis/benchmark_train.py', str(path), '--iters', '2', '--warmup', '1']
        + ['--busy', '1', '--threads', 'legacy', 'default']
    )
    assert code == 0, out
    for mode, policy, workers in (('legacy', '(unset)', 1), ('default', 'PASSIVE', 1)):
        assert re.search(
            rf'{mode} threads: batch 4, {workers} DataLoader workers, \d+ torch threads, '
            rf'OMP_WAIT_POLICY={re.escape(policy)}',
            out,
        ), out
    rates = {
        label: _rate(out, label)
        for label in ('(a) Runner', '(b) bare', '(c) data pipeline', '(d) model alone')
    }
    assert all(r > 0 for r in rates.values()), out
    runner_ratio = float(re.search(r'Runner / bare loop: ([\d.]+)', out).group(1))
    pipe_ratio = float(re.search(r'pipeline / model consumption: ([\d.]+)', out).group(1))
    # The ratios printed are those of the rates printed (last table: the default threads).
    assert abs(runner_ratio - rates['(a) Runner'] / rates['(b) bare']) < 0.01 * runner_ratio + 1e-3
    assert abs(pipe_ratio - rates['(c) data pipeline'] / rates['(d) model alone']) < (
        0.01 * pipe_ratio + 1e-2
    )
    for mode in ('legacy', 'default'):
        row = re.search(rf'\| {mode} \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|', out)
        assert row, out
        idle, busy, frac = map(float, row.groups())
        assert abs(frac - busy / idle) < 0.01 + 0.01 * frac, row.group(0)


def test_benchmark_train_compares_memory_formats(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work')
    cfg['train_dataloader']['num_workers'] = 0
    path = write_config(cfg, tmp_path / 'tiny.py')
    code, out = run(
        ['tools/analysis/benchmark_train.py', str(path), '--iters', '2', '--warmup', '1']
        + ['--parts', 'runner', 'model', '--memory-format', 'contiguous', 'channels_last']
    )
    assert code == 0, out
    assert re.search(r'\ndefault threads: batch 4', out), out
    assert re.search(r'\ndefault, channels_last threads: batch 4', out), out
    assert _rate(out, '(a) Runner train step') > 0
    assert re.search(r'channels_last / contiguous speed: runner [\d.]+x, model [\d.]+x', out), out
