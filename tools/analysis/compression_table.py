"""Fine-tune and test the quick compressed configs from their fp32 checkpoints; print a table.

``python tools/analysis/compression_table.py --face-ckpt FACE.pth --landmark-ckpt LANDNET.pth``

For the quick MobileFaceNet (``configs/mobilefacenet_celeba_quick.py``, LFW) and the quick LandNet
(``configs/landnet_lfw_celeba.py``, CelebA landmarks), each row is one model tested with
``tools/test.py``'s runner: the fp32 start, int8 calibrated without fine-tuning (post-training),
and every quick compressed config fine-tuned from the fp32 checkpoint. Work dirs (logs,
checkpoints, ``metrics.json``) go under ``--work-dir``; a variant whose ``metrics.json`` exists is
not run again unless ``--force``. Run it alone on the machine (about 25 minutes on 2 CPU cores).
"""

import argparse
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional

FACE = 'configs/mobilefacenet_celeba_quick'
LANDNET = 'configs/landnet_lfw_celeba'

#: (family, row label, config, train?) in table order.
VARIANTS = [
    ('face', 'fp32 (start)', FACE + '.py', False),
    ('face', 'int8, calibrated only', FACE + '_int8.py', False),
    ('face', 'int8 QAT', FACE + '_int8.py', True),
    ('face', '52% sparse', FACE + '_sparsity.py', True),
    ('landmarks', 'fp32 (start)', LANDNET + '.py', False),
    ('landmarks', 'int8, calibrated only', LANDNET + '_int8.py', False),
    ('landmarks', 'int8 QAT', LANDNET + '_int8.py', True),
    ('landmarks', '52% sparse', LANDNET + '_sparsity.py', True),
    ('landmarks', 'int8 + 52% sparse', LANDNET + '_int8_sparsity.py', True),
]


def _slug(label: str) -> str:
    return ''.join(c if c.isalnum() else '_' for c in label.lower()).strip('_')


def run_variant(config: str, start: str, work_dir: str, train: bool) -> Dict:
    """Train (optionally) from ``start`` and test; returns metrics, sparsity and timings."""
    from facerec.utils import build_runner, load_config, set_test_metric

    result: Dict = dict(config=config, start=start)
    ckpt = start
    if train:
        cfg = load_config(config, work_dir=work_dir)
        cfg.load_from = start
        cfg.resume = False
        max_epochs = cfg.train_cfg.max_epochs
        # No validation (mmengine validates after the last epoch whatever the interval): the
        # test below evaluates the same data once.
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        t0 = time.time()
        build_runner(cfg).train()
        result['train_s'] = time.time() - t0
        ckpt = osp.join(work_dir, f'epoch_{max_epochs}.pth')
    cfg = load_config(config, work_dir=osp.join(work_dir, 'test'))
    cfg.load_from = ckpt
    cfg.resume = False
    set_test_metric(cfg)
    t0 = time.time()
    runner = build_runner(cfg)
    result['metrics'] = runner.test()
    result['test_s'] = time.time() - t0
    model = getattr(runner.model, 'module', runner.model)
    if hasattr(model, 'compression_summary'):
        result['compression'] = model.compression_summary()
    return result


def format_table(results: List[Dict]) -> str:
    """The markdown table of the results, in :data:`VARIANTS` order."""
    lines = []
    for family in ('face', 'landmarks'):
        rows = [r for r in results if r['family'] == family]
        if not rows:
            continue
        if family == 'face':
            lines += [
                '| MobileFaceNet (quick, 64x64) | LFW accuracy | AUC | sparsity | train | test |',
                '|---|---|---|---|---|---|',
            ]
        else:
            lines += [
                '| LandNet (quick, 48x48) | NME | failure rate @0.1 | sparsity | train | test |',
                '|---|---|---|---|---|---|',
            ]
        for r in rows:
            m = r['metrics']
            if family == 'face':
                acc = m['lfw/accuracy']
                first = f'{100 * acc:.2f} ± {100 * m["lfw/accuracy_std"]:.2f} %'
                second = f'{m["lfw/auc"]:.4f}'
            else:
                first = f'{m["landmarks/mean_error"]:.4f}'
                second = f'{100 * m["landmarks/failure_rate"]:.1f} %'
            comp = r.get('compression') or {}
            sparsity = f'{100 * comp["sparsity"]:.1f} %' if comp.get('num_masks') else '-'
            train = f'{r["train_s"] / 60:.1f} min' if 'train_s' in r else '-'
            lines.append(
                f'| {r["label"]} | {first} | {second} | {sparsity} | {train} | '
                f'{r["test_s"] / 60:.1f} min |'
            )
        lines.append('')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--face-ckpt', help='fp32 checkpoint of mobilefacenet_celeba_quick.py')
    parser.add_argument('--landmark-ckpt', help='fp32 checkpoint of landnet_lfw_celeba.py')
    parser.add_argument('--work-dir', default='work_dirs/compression')
    parser.add_argument('--force', action='store_true', help='rerun variants already done')
    parser.add_argument('--out', help='also write the table to this markdown file')
    args = parser.parse_args(argv)
    if not (args.face_ckpt or args.landmark_ckpt):
        parser.error('give --face-ckpt and/or --landmark-ckpt')

    from facerec.utils import register_all_modules

    register_all_modules()
    starts = dict(face=args.face_ckpt, landmarks=args.landmark_ckpt)
    for family, start in starts.items():
        if start and not osp.isfile(start):
            parser.error(f'{family} checkpoint not found: {start}')
    results = []
    for family, label, config, train in VARIANTS:
        if not starts[family]:
            continue
        name = f'{osp.splitext(osp.basename(config))[0]}__{_slug(label)}'
        work_dir = osp.join(args.work_dir, name)
        record = osp.join(work_dir, 'metrics.json')
        if osp.isfile(record) and not args.force:
            with open(record) as f:
                result = json.load(f)
        else:
            os.makedirs(work_dir, exist_ok=True)
            result = run_variant(config, starts[family], work_dir, train)
            result.update(family=family, label=label)
            with open(record, 'w') as f:
                json.dump(result, f, indent=2)
        results.append(result)
        print(format_table(results), flush=True)
    table = format_table(results)
    print('\n' + table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')


if __name__ == '__main__':
    main()
