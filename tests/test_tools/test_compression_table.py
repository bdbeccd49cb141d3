"""tools/analysis/compression_table.py: its configs exist, finished rows are read back, missing
released IRs are skipped."""

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def table(load_tool):
    return load_tool('tools/analysis/compression_table.py')


def test_every_variant_config_exists(table):
    for variants in table.VARIANTS.values():
        for _, _, config, run in variants:
            assert (REPO / config).is_file(), config
            assert run in ('test', 'train') or run.startswith('ir:'), run


def _record(table, work_dir: Path, family: str, label: str, config: str, metrics: dict, **extra):
    name = f'{Path(config).stem}__{table._slug(label)}'
    (work_dir / name).mkdir(parents=True)
    result = dict(family=family, label=label, config=config, metrics=metrics, test_s=60, **extra)
    (work_dir / name / 'metrics.json').write_text(json.dumps(result))


def test_released_table_from_finished_rows(table, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    ckpt = tmp_path / 'start.pth'
    ckpt.write_bytes(b'')
    work = tmp_path / 'work'
    models_root = tmp_path / 'models'  # holds the face IR only: the LandNet IR row is skipped
    face_ir = [v for v in table.VARIANTS['released'] if v[0] == 'face' and v[3] != 'test']
    ir_path = models_root / face_ir[0][3][len('ir:') :]
    ir_path.parent.mkdir(parents=True)
    ir_path.write_text('<net/>')
    for family, label, config, run in table.VARIANTS['released']:
        if family == 'face':
            metrics = {'lfw/accuracy': 0.9912, 'lfw/accuracy_std': 0.003, 'lfw/auc': 0.99871}
        else:
            metrics = {'landmarks/mean_error': 0.05123, 'landmarks/failure_rate': 0.061}
        extra = {}
        if 'sparse' in label:
            extra['compression'] = dict(sparsity=0.52, num_masks=80.0)
        if run == 'train':
            extra['train_s'] = 120
        _record(table, work, family, label, config, metrics, **extra)
    out_md = tmp_path / 'table.md'
    table.main(
        ['--models', 'released', '--face-ckpt', str(ckpt), '--landmark-ckpt', str(ckpt)]
        + ['--models-root', str(models_root), '--work-dir', str(work), '--out', str(out_md)]
    )
    text = out_md.read_text()
    assert '| face-reidentification-retail-0095 (128x128) | LFW accuracy | AUC |' in text
    assert '| int8 QAT + distillation | 99.12 ± 0.30 % | 0.9987 | - | 2.0 min | 1.0 min |' in text
    assert '| 52% sparse + distillation | 99.12 ± 0.30 % | 0.9987 | 52.0 % |' in text
    assert '| released FP16-INT8 IR (OpenVINO) | 99.12' in text
    assert '| int8 + 52% sparse | 0.0512 | 6.1 % | 52.0 % | 2.0 min | 1.0 min |' in text
    landmark_rows = text.split('landmarks-regression-retail-0009')[1]
    assert 'released FP16-INT8 IR' not in landmark_rows
    assert 'not found' in capsys.readouterr().out
