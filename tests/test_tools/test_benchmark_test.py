"""tools/analysis/benchmark_test.py in a fresh process, on the tiny config."""

import re

from test_train_test_tools import run, write_config


def test_benchmark_test_compares_runner_with_bare_loop(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work')
    path = write_config(cfg, tmp_path / 'tiny.py')
    code, out = run(['tools/analysis/benchmark_test.py', str(path), '--rounds', '1'])
    assert code == 0, out
    head = r'tiny\.py: (\d+) images, batch 8, 0 workers, \d+ torch threads, flip test on'
    assert re.search(head, out), out
    rates = {}
    for key, label in (('runner', r'\(a\) Runner'), ('bare', r'\(b\) bare'), ('noflip', r'\(c\)')):
        found = re.search(rf'\| {label}[^|]*\| ([\d.]+) \|', out)
        assert found, out
        rates[key] = float(found.group(1))
        assert rates[key] > 0, out
    ratio = float(re.search(r'Runner / bare loop: ([\d.]+)', out).group(1))
    assert abs(ratio - rates['runner'] / rates['bare']) <= 0.01 * ratio + 1e-3, out
    flip = float(re.search(r'flip test cost: ([\d.]+)x', out).group(1))
    assert abs(flip - rates['noflip'] / rates['bare']) <= 0.01 * flip + 1e-2, out
