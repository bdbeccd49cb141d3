"""Inference throughput of a recogniser in every form it is deployed in, on this CPU.

``python tools/analysis/benchmark_inference.py CONFIG --checkpoint CKPT [--released-int8 XML]``

For the config's model with the checkpoint's weights (e.g. the converted
face-reidentification-retail-0095) one run times, at batch 1 and 64, on raw BGR 0..255 input
(the exported graph's, :class:`facerec.deployment.ExportWrapper`):

- eager PyTorch fp32 (``torch.no_grad``);
- OpenVINO IR fp32 compiled with ``INFERENCE_PRECISION_HINT=f32``, and the same IR at the
  plugin's default precision (bf16 on CPUs that have it);
- OpenVINO int8: our post-training quantisation (:func:`facerec.deployment.quantize_int8`,
  calibrated on the config's test images, or random ones without data) and, with
  ``--released-int8``, a released int8 IR such as the FP16-INT8 one of Open Model Zoo;
- onnxruntime fp32.

It prints images/s, the cosine similarity of each variant's embeddings to eager PyTorch and
the ratios int8 / eager. Timing helpers are those of ``benchmark_ir.py``. The whole demo
pipeline (detector, landmarks, recogniser) is timed by ``tools/demo.py recognize``, which
logs frames/s per run and per stage.
"""

import argparse
import os
import statistics
import sys
import tempfile
from typing import Callable, Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmark_ir import build, openvino_runner, time_model  # noqa: E402


def calibration_images(cfg, n: int, shape: List[int]) -> np.ndarray:
    """``n`` aligned test-set crops (uint8 BGR as float), or random images without the data."""
    try:
        from facerec.registry import DATASETS

        dataset = DATASETS.build(cfg.test_dataloader.dataset)
        step = max(1, len(dataset) // n)
        crops = [dataset[i * step]['inputs'].numpy() for i in range(min(n, len(dataset)))]
        return np.stack(crops).astype(np.float32)
    except (FileNotFoundError, OSError) as e:
        print(f'calibrating on random images: {e}')
        return np.random.default_rng(0).uniform(0, 255, [n, *shape]).astype(np.float32)


def onnxruntime_runner(path: str, threads: int) -> Callable[[np.ndarray], np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # Threads that sleep instead of spinning between runs, as OMP_WAIT_POLICY=PASSIVE does.
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    if threads > 0:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    return lambda batch: session.run(None, {name: batch})[0]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config of the recogniser')
    parser.add_argument('--checkpoint', help='its weights (default: random ones)')
    parser.add_argument('--released-int8', help='a released int8 IR (.xml) of the same model')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 64])
    parser.add_argument('--rounds', type=int, default=3, help='interleaved rounds per variant')
    parser.add_argument('--seconds', type=float, default=1.0, help='timing per round, variant')
    parser.add_argument('--calibration', type=int, default=128, help='images for int8 PTQ')
    parser.add_argument('--threads', type=int, default=0, help='CPU threads (0: the defaults)')
    args = parser.parse_args(argv)

    from facerec.utils.threads import prefer_passive_openmp

    prefer_passive_openmp(reexec=True)
    import openvino as ov
    import torch

    from facerec.deployment import ExportWrapper, export_onnx, export_openvino, quantize_int8
    from facerec.utils import load_config, register_all_modules

    register_all_modules()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    model = build(args.config, args.checkpoint)
    wrapper = ExportWrapper(model).eval()
    size = model.backbone.input_size
    h, w = (size, size) if isinstance(size, int) else size
    shape = [3, int(h), int(w)]
    calib = calibration_images(cfg, args.calibration, shape)
    int8 = quantize_int8(wrapper, [torch.from_numpy(img[None]) for img in calib])

    core = ov.Core()
    base = {} if args.threads <= 0 else {'INFERENCE_NUM_THREADS': args.threads}
    f32 = dict(base, INFERENCE_PRECISION_HINT='f32')
    print(
        f'CPU: {core.get_property("CPU", "FULL_DEVICE_NAME")}; OpenVINO {ov.__version__}, '
        f'default precision {core.get_property("CPU", "INFERENCE_PRECISION_HINT")}; '
        f'{torch.get_num_threads()} torch threads; input {shape}\n'
    )
    results: Dict[int, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        export_openvino(wrapper, f'{tmp}/fp32.xml', (int(h), int(w)))
        export_openvino(int8, f'{tmp}/int8.xml', (int(h), int(w)))
        export_onnx(wrapper, f'{tmp}/fp32.onnx', (int(h), int(w)))
        irs = {
            'OpenVINO fp32 (f32)': (f'{tmp}/fp32.xml', f32),
            'OpenVINO fp32 (default precision)': (f'{tmp}/fp32.xml', dict(base)),
            'OpenVINO int8 (our PTQ)': (f'{tmp}/int8.xml', f32),
        }
        if args.released_int8:
            irs['OpenVINO int8 (released IR)'] = (args.released_int8, f32)
        rng = np.random.default_rng(0)
        for bs in args.batch_sizes:
            idx = rng.integers(0, len(calib), bs)
            batch = calib[idx] + rng.uniform(-2, 2, [bs, *shape]).astype(np.float32)

            def eager(x: np.ndarray) -> np.ndarray:
                with torch.no_grad():
                    return wrapper(torch.from_numpy(x)).numpy()

            runners = {'eager PyTorch fp32': eager}
            hint = 'LATENCY' if bs == 1 else 'THROUGHPUT'
            precisions = {}
            for label, (path, props) in irs.items():
                ir = core.read_model(path)
                ir.reshape([bs, *shape])
                compiled = core.compile_model(ir, 'CPU', dict(props, PERFORMANCE_HINT=hint))
                runners[label] = openvino_runner(compiled)
                precisions[label] = compiled.get_property('INFERENCE_PRECISION_HINT')
            runners['onnxruntime fp32'] = onnxruntime_runner(f'{tmp}/fp32.onnx', args.threads)
            ref = eager(batch).reshape(bs, -1)
            cosine = {}
            for label, run in runners.items():
                out = np.asarray(run(batch)).reshape(bs, -1)
                num = (out * ref).sum(1)
                den = np.linalg.norm(out, axis=1) * np.linalg.norm(ref, axis=1)
                cosine[label] = float(np.min(num / den))
            per_call = {
                k: max(1, int(args.seconds / max(1e-4, min(time_model(r, batch, 2)))))
                for k, r in runners.items()
            }
            samples: Dict[str, List[float]] = {k: [] for k in runners}
            for _ in range(args.rounds):
                for k, r in runners.items():
                    samples[k].extend(time_model(r, batch, per_call[k]))
            results[bs] = {k: statistics.median(v) for k, v in samples.items()}
            for k in runners:
                note = f'  (compiled: {precisions[k]})' if k in precisions else ''
                print(
                    f'batch {bs:3d}  {k:34s} {bs / results[bs][k]:9.1f} images/s  '
                    f'lowest cosine to eager {cosine[k]:.4f}{note}',
                    flush=True,
                )
            print()

    labels = list(next(iter(results.values())))
    print('| batch | ' + ' | '.join(labels) + ' |')
    print('|---' * (len(labels) + 1) + '|')
    for bs, r in results.items():
        print(f'| {bs} | ' + ' | '.join(f'{bs / r[k]:.0f} img/s' for k in labels) + ' |')
    for bs, r in results.items():
        eager_t = r['eager PyTorch fp32']
        for k in labels:
            if 'int8' in k:
                print(f'batch {bs}: {k} / eager PyTorch fp32: {eager_t / r[k]:.2f}x')


if __name__ == '__main__':
    main()
