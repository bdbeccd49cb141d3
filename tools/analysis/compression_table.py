"""Fine-tune and test compressed configs from their fp32 checkpoints; print a table.

``python tools/analysis/compression_table.py --face-ckpt FACE.pth --landmark-ckpt LANDNET.pth``
``python tools/analysis/compression_table.py --models released --face-ckpt 0095.pth ...``

Each row is one model tested with ``tools/test.py``'s runner. ``--models quick``: the quick
MobileFaceNet (``configs/mobilefacenet_celeba_quick.py``, LFW) and the quick LandNet
(``configs/landnet_lfw_celeba.py``, CelebA landmarks): the fp32 start, int8 calibrated without
fine-tuning (post-training) and every quick compressed config fine-tuned from the fp32
checkpoint. ``--models released``: the converted face-reidentification-retail-0095 and
landmarks-regression-retail-0009 with the configs of ``configs/compression/`` (the
recogniser's fine-tuned by distillation from its fp32 model), beside the released FP16-INT8
IRs (``--models-root``, default ``$FACEREC_MODELS`` or ``../shared/models``) run by OpenVINO.
Work dirs (logs, checkpoints, ``metrics.json``) go under ``--work-dir``; a variant whose
``metrics.json`` exists is not run again unless ``--force``. Run it alone on the machine (about
25 minutes for each set on 2 CPU cores).
"""

import argparse
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional

FACE = 'configs/mobilefacenet_celeba_quick'
LANDNET = 'configs/landnet_lfw_celeba'
FACE_0095 = 'face-reidentification-retail-0095'
LANDNET_0009 = 'landmarks-regression-retail-0009'
RELEASED_FACE = f'configs/compression/{FACE_0095}'
RELEASED_LANDNET = f'configs/compression/{LANDNET_0009}'

#: Per set: (family, row label, config, run) in table order; run is ``'test'`` (the start
#: checkpoint), ``'train'`` (fine-tuned from it) or ``'ir:PATH'`` (an IR under the models root).
VARIANTS = {
    'quick': [
        ('face', 'fp32 (start)', FACE + '.py', 'test'),
        ('face', 'int8, calibrated only', FACE + '_int8.py', 'test'),
        ('face', 'int8 QAT', FACE + '_int8.py', 'train'),
        ('face', '52% sparse', FACE + '_sparsity.py', 'train'),
        ('landmarks', 'fp32 (start)', LANDNET + '.py', 'test'),
        ('landmarks', 'int8, calibrated only', LANDNET + '_int8.py', 'test'),
        ('landmarks', 'int8 QAT', LANDNET + '_int8.py', 'train'),
        ('landmarks', '52% sparse', LANDNET + '_sparsity.py', 'train'),
        ('landmarks', 'int8 + 52% sparse', LANDNET + '_int8_sparsity.py', 'train'),
    ],
    'released': [
        ('face', 'fp32 (converted FP16 IR)', f'configs/pretrained/{FACE_0095}.py', 'test'),
        (
            'face',
            'released FP16-INT8 IR (OpenVINO)',
            f'configs/pretrained/{FACE_0095}.py',
            f'ir:omz/{FACE_0095}/FP16-INT8/{FACE_0095}.xml',
        ),
        (
            'face',
            'int8 post-training (calibrated only)',
            RELEASED_FACE + '_int8-ptq_celeba.py',
            'test',
        ),
        ('face', 'int8 QAT + distillation', RELEASED_FACE + '_int8-qat-distill_celeba.py', 'train'),
        (
            'face',
            '52% sparse + distillation',
            RELEASED_FACE + '_sparsity52-distill_celeba.py',
            'train',
        ),
        ('landmarks', 'fp32 (converted FP32 IR)', f'configs/pretrained/{LANDNET_0009}.py', 'test'),
        (
            'landmarks',
            'released FP16-INT8 IR (OpenVINO)',
            f'configs/pretrained/{LANDNET_0009}.py',
            f'ir:omz/{LANDNET_0009}/FP16-INT8/{LANDNET_0009}.xml',
        ),
        (
            'landmarks',
            'int8 post-training (calibrated only)',
            RELEASED_LANDNET + '_int8_lfw.py',
            'test',
        ),
        ('landmarks', 'int8 QAT', RELEASED_LANDNET + '_int8_lfw.py', 'train'),
        ('landmarks', '52% sparse', RELEASED_LANDNET + '_sparsity52_lfw.py', 'train'),
        ('landmarks', 'int8 + 52% sparse', RELEASED_LANDNET + '_int8-sparsity52_lfw.py', 'train'),
    ],
}
#: Table heading of each family, per set.
TITLES = {
    ('quick', 'face'): 'MobileFaceNet (quick, 64x64)',
    ('quick', 'landmarks'): 'LandNet (quick, 48x48)',
    ('released', 'face'): f'{FACE_0095} (128x128)',
    ('released', 'landmarks'): f'{LANDNET_0009} (48x48)',
}


def _slug(label: str) -> str:
    return ''.join(c if c.isalnum() else '_' for c in label.lower()).strip('_')


def run_variant(config: str, start: str, work_dir: str, run: str) -> Dict:
    """Train (``run='train'``) from ``start`` and test, or test ``start`` (``'test'``) or an
    exported model (``'ir:PATH'``, ``start`` is then that file); returns metrics, sparsity
    and timings."""
    from facerec.utils import build_runner, load_config, set_test_metric

    result: Dict = dict(config=config, start=start)
    ckpt = start
    if run == 'train':
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
    if run.startswith('ir:'):
        from facerec.deployment import use_exported_model

        use_exported_model(cfg, start, 'openvino')
    else:
        cfg.load_from = ckpt
        cfg.resume = False
    set_test_metric(cfg)
    t0 = time.time()
    runner = build_runner(cfg)
    result['metrics'] = runner.test()
    result['test_s'] = time.time() - t0
    model = getattr(runner.model, 'module', runner.model)
    from facerec.models.compression import find_compressed_model

    compressed = find_compressed_model(model)  # the model, or a distiller's student
    if compressed is not None:
        result['compression'] = compressed.compression_summary()
    return result


def format_table(results: List[Dict], models: str = 'quick') -> str:
    """The markdown table of the results, in :data:`VARIANTS` order."""
    lines = []
    for family in ('face', 'landmarks'):
        rows = [r for r in results if r['family'] == family]
        if not rows:
            continue
        title = TITLES[models, family]
        if family == 'face':
            columns = 'LFW accuracy | AUC'
        else:
            columns = 'NME | failure rate @0.1'
        lines += [f'| {title} | {columns} | sparsity | train | test |', '|---|---|---|---|---|---|']
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
    parser.add_argument(
        '--models',
        choices=sorted(VARIANTS),
        default='quick',
        help='the quick models trained here, or the released 0095 and LandNet 0009',
    )
    parser.add_argument(
        '--face-ckpt', help='fp32 checkpoint of the recogniser (the first config of the set)'
    )
    parser.add_argument(
        '--landmark-ckpt', help='fp32 checkpoint of the landmark model (the first config)'
    )
    parser.add_argument(
        '--models-root',
        default=os.environ.get('FACEREC_MODELS', '../shared/models'),
        help='where the released IRs are (--models released)',
    )
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
    for family, label, config, run in VARIANTS[args.models]:
        if not starts[family]:
            continue
        start = starts[family]
        if run.startswith('ir:'):
            start = osp.join(args.models_root, run[len('ir:') :])
            if not osp.isfile(start):
                print(f'skipped {label!r}: {start} not found', flush=True)
                continue
        name = f'{osp.splitext(osp.basename(config))[0]}__{_slug(label)}'
        work_dir = osp.join(args.work_dir, name)
        record = osp.join(work_dir, 'metrics.json')
        if osp.isfile(record) and not args.force:
            with open(record) as f:
                result = json.load(f)
        else:
            os.makedirs(work_dir, exist_ok=True)
            result = run_variant(config, start, work_dir, run)
            result.update(family=family, label=label)
            with open(record, 'w') as f:
                json.dump(result, f, indent=2)
        results.append(result)
        print(format_table(results, args.models), flush=True)
    table = format_table(results, args.models)
    print('\n' + table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')


if __name__ == '__main__':
    main()
