"""End-to-end runs of tools/train.py and tools/test.py in fresh processes."""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]


def run(args, cwd=REPO, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    return proc.returncode, proc.stdout + proc.stderr


def write_config(cfg: dict, path: Path) -> Path:
    Config(cfg).dump(str(path))
    return path


@pytest.fixture
def tiny_cfg_file(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work', max_epochs=1)
    return write_config(cfg, tmp_path / 'tiny.py')


def test_train_resume_and_test_lfw(tiny_cfg_file, tmp_path):
    work = tmp_path / 'work'
    code, out = run(['tools/train.py', str(tiny_cfg_file), '--work-dir', str(work)])
    assert code == 0, out
    assert (work / 'epoch_1.pth').is_file()
    assert any(work.rglob('events.out.tfevents*')), 'no TensorBoard event file'
    assert any(work.glob('*/tiny.py')) or (work / 'tiny.py').is_file()  # resolved config dumped

    # Resume (no CKPT: the latest of the work dir) and train one more epoch.
    code, out = run(
        [
            'tools/train.py',
            str(tiny_cfg_file),
            '--work-dir',
            str(work),
            '--resume',
            '--cfg-options',
            'train_cfg.max_epochs=2',
            'train_cfg.val_interval=2',
        ]
    )
    assert code == 0, out
    assert 'resumed epoch: 1, iter: 4' in out
    assert (work / 'epoch_2.pth').is_file()

    scores = tmp_path / 'scores.csv'
    code, out = run(
        [
            'tools/test.py',
            str(tiny_cfg_file),
            str(work / 'epoch_2.pth'),
            '--metric',
            'lfw',
            '--out',
            str(scores),
            '--work-dir',
            str(tmp_path / 'test'),
        ]
    )
    assert code == 0, out
    for key in (
        'Accuracy/Val_same_accuracy mean:',
        'Accuracy/Val_diff_accuracy mean:',
        'Accuracy/Val_accuracy mean:',
        'Accuracy/Val_accuracy std dev:',
        'AUC:',
        'Estimated threshold:',
    ):
        assert key in out
    with open(scores) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ['fold', 'name1', 'idx1', 'name2', 'idx2', 'is_same', 'score']
    assert len(rows) == 40
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score([int(r['is_same']) for r in rows], [float(r['score']) for r in rows])
    printed = float(re.search(r'AUC: ([0-9.]+)', out).group(1))
    assert printed == pytest.approx(auc, abs=5e-5)


def test_yaml_config_and_cfg_options(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work', max_epochs=1)
    path = tmp_path / 'tiny.yml'
    with open(path, 'w') as f:
        yaml.safe_dump(cfg, f)
    code, out = run(
        [
            'tools/train.py',
            str(path),
            '--amp',
            '--cfg-new-keys',  # model.head.s is not in the config
            '--cfg-options',
            'model.head.s=16.0',
            'train_cfg.val_interval=5',
        ]
    )
    assert code == 0, out
    dumped = Config.fromfile(str(tmp_path / 'work' / 'tiny.yml'))
    assert dumped.model.head.s == 16.0
    import torch

    amp_type = 'AmpOptimWrapper' if torch.cuda.is_available() else 'AutocastOptimWrapper'
    assert dumped.optim_wrapper.type == amp_type
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()


def test_unknown_type_and_missing_checkpoint_errors(tiny_cfg_file, tmp_path):
    code, out = run(
        ['tools/train.py', str(tiny_cfg_file), '--cfg-options', 'model.backbone.type=NoSuchNet']
    )
    assert code != 0 and 'NoSuchNet is not in the' in out
    code, out = run(['tools/test.py', str(tiny_cfg_file), str(tmp_path / 'missing.pth')])
    assert code != 0 and 'missing.pth' in out
    code, out = run(
        ['tools/test.py', str(tiny_cfg_file), str(tmp_path / 'x.pth'), '--metric', 'nope']
    )
    assert code != 0 and "Unknown metric 'nope'" in out


class _WritesMarker:
    """An object whose unpickling writes a file (through ``exec``, pure python)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (exec, (f'open({self.path!r}, "w").close()',))


def test_resume_loads_weights_only(tiny_cfg_file, tmp_path):
    import torch

    work = tmp_path / 'work'
    code, out = run(['tools/train.py', str(tiny_cfg_file), '--work-dir', str(work)])
    assert code == 0, out
    marker = tmp_path / 'MARKER'
    evil = torch.load(work / 'epoch_1.pth', weights_only=False)
    evil['meta']['payload'] = _WritesMarker(marker)
    evil_path = tmp_path / 'evil.pth'
    torch.save(evil, evil_path)
    refused = f'Refusing to load checkpoint {evil_path}: it holds exec'
    more_epochs = ['--cfg-options', 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2']

    code, out = run(['tools/train.py', str(tiny_cfg_file), '--resume', str(evil_path)])
    assert code != 0 and refused in out and '--unsafe-resume' in out
    auto = tmp_path / 'auto'
    auto.mkdir()
    (auto / 'last_checkpoint').write_text(str(evil_path))
    code, out = run(['tools/train.py', str(tiny_cfg_file), '--work-dir', str(auto), '--resume'])
    assert code != 0 and refused in out
    assert not marker.exists()

    notes = tmp_path / 'notes.txt'
    notes.write_text('not a checkpoint\n')
    code, out = run(['tools/train.py', str(tiny_cfg_file), '--resume', str(notes)])
    assert code != 0 and f'Cannot read checkpoint {notes}: not a torch checkpoint' in out
    code, out = run(['tools/train.py', str(tiny_cfg_file), '--unsafe-resume'])
    assert code != 0 and '--unsafe-resume applies to resuming' in out

    # The opt-out trusts the file: its code runs and training continues.
    args = ['--work-dir', str(tmp_path / 'trusted'), '--resume', str(evil_path)]
    code, out = run(['tools/train.py', str(tiny_cfg_file), *args, '--unsafe-resume', *more_epochs])
    assert code == 0, out
    assert marker.exists() and (tmp_path / 'trusted' / 'epoch_2.pth').is_file()


def test_config_errors_name_the_file_line_or_key(tiny_cfg_file, tmp_path):
    marker = tmp_path / 'MARKER'
    evil = tmp_path / 'evil.yml'
    evil.write_text(
        f'_base_: {tiny_cfg_file}\nx: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    code, out = run(['tools/train.py', str(evil)])
    assert code != 0 and f'Refusing yaml file {evil}, line 2' in out
    assert not marker.exists()

    broken = tmp_path / 'broken.py'
    broken.write_text(f"_base_ = ['{tiny_cfg_file.name}']\nmodel = dict(head=dict(s=30.0)\n")
    code, out = run(['tools/test.py', str(broken), 'x.pth'])
    assert code != 0 and f'Config file {broken}, line 2' in out and '<unknown>' not in out

    for option, message in [
        (
            'load_form=x.pth',
            "no key 'load_form' at the top level (closest existing keys: load_from)",
        ),
        ('optim_wrapper.optimizer.lrr=5', 'closest existing keys: optim_wrapper.optimizer.lr'),
        ('param_scheduler.3.end=3', "param_scheduler is a list of 1 items; '3' is not an index"),
        ('model.backbone.new_kwarg=1', "no key 'new_kwarg' under model.backbone"),
        ('train_cfg.max_epochs', "--cfg-options 'train_cfg.max_epochs': expected key=value"),
    ]:
        code, out = run(['tools/train.py', str(tiny_cfg_file), '--cfg-options', option])
        assert code != 0 and message in out, (option, out[-2000:])


def test_test_refuses_nan_embeddings(lfw_like, tiny_cfg_file, tmp_path):
    import torch

    from facerec.registry import MODELS
    from facerec.utils import register_all_modules

    register_all_modules()
    model = MODELS.build(Config.fromfile(str(tiny_cfg_file)).model)
    state = model.state_dict()
    state['backbone.stem.0.0.weight'][0] = float('nan')
    torch.save({'state_dict': state, 'meta': {}}, tmp_path / 'nan.pth')
    code, out = run(['tools/test.py', str(tiny_cfg_file), str(tmp_path / 'nan.pth')])
    assert code != 0 and 'non-finite embeddings (NaN or inf)' in out
    assert str(lfw_like / 'lfw-deepfunneled' / 'Person_A' / 'Person_A_0001.jpg') in out
    assert 'lfw/accuracy' not in out


def test_torchrun_two_processes_on_cpu(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work', max_epochs=1)
    cfg['train_cfg']['val_interval'] = 1
    path = write_config(cfg, tmp_path / 'tiny_dist.py')
    code, out = run(
        [
            '-m',
            'torch.distributed.run',
            '--nproc_per_node=2',
            '--master_port=29571',
            'tools/train.py',
            str(path),
            '--launcher',
            'pytorch',
        ],
        timeout=400,
    )
    assert code == 0, out[-5000:]
    assert 'Distributed launcher: pytorch' in out and 'Distributed training: True' in out
    assert 'Distributed backend: gloo, world size: 2' in out
    # 16 images, batch 4 per process, 2 processes: 2 iterations per epoch.
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\]', out)
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
    assert 'lfw/accuracy' in out


def test_lfw_folder_and_insightface_bin_give_the_same_numbers(
    lfw_like, identity_folder, tmp_path, make_tiny_config
):
    """tools/test.py --metric lfw on an LFW folder + pairs.txt and on a .bin of the same pairs."""
    import pickle

    from facerec.datasets import load_pairs_file

    pairs, _ = load_pairs_file(str(lfw_like / 'pairs.txt'))
    bins, issame = [], []
    for p in pairs:
        for name, idx in ((p['name1'], p['idx1']), (p['name2'], p['idx2'])):
            path = lfw_like / 'lfw-deepfunneled' / name / f'{name}_{idx:04d}.jpg'
            bins.append(path.read_bytes())
        issame.append(p['is_same'])
    with open(tmp_path / 'tiny.bin', 'wb') as f:
        pickle.dump((bins, issame), f, protocol=4)

    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'work', max_epochs=1)
    model = cfg['model']
    import torch

    from facerec.registry import MODELS

    torch.manual_seed(0)
    net = MODELS.build(model)
    net.init_weights()
    ckpt = tmp_path / 'init.pth'
    torch.save({'state_dict': net.state_dict(), 'meta': {}}, ckpt)
    crop = [dict(type='CenterCropResize', output_size=32), dict(type='PackFaceInputs')]
    cfg['test_dataloader']['dataset']['landmark_file'] = None
    cfg['test_dataloader']['dataset']['pipeline'] = [dict(type='LoadImageFromFile'), *crop]
    folder_cfg = write_config(cfg, tmp_path / 'folder.py')
    cfg['test_dataloader']['dataset'] = dict(
        type='VerificationBin',
        data_root=str(tmp_path),
        ann_file='tiny.bin',
        num_folds=10,
        pipeline=[dict(type='LoadImageFromBytes'), *crop],
    )
    bin_cfg = write_config(cfg, tmp_path / 'bin.py')

    outputs = []
    for cfg_file in (folder_cfg, bin_cfg):
        code, out = run(
            [
                'tools/test.py',
                str(cfg_file),
                str(ckpt),
                '--metric',
                'lfw',
                '--work-dir',
                str(tmp_path / cfg_file.stem),
            ]
        )
        assert code == 0, out[-3000:]
        outputs.append(
            re.search(r'Epoch\(test\).*lfw/accuracy: ([0-9.]+).*lfw/auc: ([0-9.]+)', out)
        )
    assert outputs[0].groups() == outputs[1].groups()


def _protocol_by_brute_force(scores, same, folds):
    """The 10-fold protocol written the slow, obvious way."""
    accs, sames, diffs, thrs = [], [], [], []
    for k in np.unique(folds):
        tr, te = folds != k, folds == k
        s = np.unique(scores[tr])
        cands = np.concatenate([[s[0] - 1], (s[:-1] + s[1:]) / 2, [s[-1] + 1]])
        acc = [((scores[tr] > t) == same[tr]).mean() for t in cands]
        t = cands[int(np.argmax(acc))]
        pred = scores[te] > t
        accs.append((pred == same[te]).mean())
        sames.append(pred[same[te]].mean())
        diffs.append((~pred[~same[te]]).mean())
        thrs.append(t)
    return dict(
        same=np.mean(sames),
        diff=np.mean(diffs),
        acc=np.mean(accs),
        std=np.std(accs),
        thr=np.mean(thrs),
    )


@pytest.mark.real_data
@pytest.mark.slow
def test_full_lfw_numbers_match_recomputation_from_csv(data_root, tmp_path):
    """tools/test.py on all 6000 pairs; its printed numbers equal a brute-force
    recomputation of the protocol and scikit-learn's AUC from the written CSV."""
    import torch
    from sklearn.metrics import roc_auc_score

    from facerec.registry import MODELS
    from facerec.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(str(REPO / 'configs' / 'mobilefacenet_celeba_quick.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = tmp_path / 'init.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    scores_csv = tmp_path / 's.csv'
    env_root = str(data_root)
    code, out = run(
        [
            'tools/test.py',
            'configs/mobilefacenet_celeba_quick.py',
            str(ckpt),
            '--metric',
            'lfw',
            '--out',
            str(scores_csv),
            '--work-dir',
            str(tmp_path / 'w'),
            '--cfg-options',
            'model.test_cfg.flip=False',
            f'test_dataloader.dataset.data_root={env_root}/lfw',
        ],
        timeout=900,
    )
    assert code == 0, out[-5000:]
    with open(scores_csv) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6000
    scores = np.array([float(r['score']) for r in rows])
    same = np.array([r['is_same'] == '1' for r in rows])
    folds = np.array([int(r['fold']) for r in rows])
    assert np.bincount(folds).tolist() == [600] * 10 and same.sum() == 3000
    expected = _protocol_by_brute_force(scores, same, folds)

    def printed(label):
        return float(re.search(re.escape(label) + r' (-?[0-9.]+)', out).group(1))

    assert printed('Accuracy/Val_same_accuracy mean:') == pytest.approx(expected['same'], abs=5e-5)
    assert printed('Accuracy/Val_diff_accuracy mean:') == pytest.approx(expected['diff'], abs=5e-5)
    assert printed('Accuracy/Val_accuracy mean:') == pytest.approx(expected['acc'], abs=5e-5)
    assert printed('Accuracy/Val_accuracy std dev:') == pytest.approx(expected['std'], abs=5e-5)
    assert printed('Estimated threshold:') == pytest.approx(expected['thr'], abs=5e-5)
    assert printed('AUC:') == pytest.approx(roc_auc_score(same, scores), abs=5e-5)
