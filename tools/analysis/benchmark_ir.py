"""Latency and throughput of an fp32 model and its int8 version as OpenVINO IR, on this CPU.

``python tools/analysis/benchmark_ir.py FP32_CONFIG INT8_CONFIG --fp32-checkpoint FP32.pth
--int8-checkpoint INT8.pth``

Both models are converted with ``openvino.convert_model`` (the int8 one keeps NNCF's fake
quantizers as ``FakeQuantize``, which the CPU plugin runs with int8 kernels) and compiled for the
CPU with ``INFERENCE_PRECISION_HINT=f32``, so the fp32 model really runs in fp32 (OpenVINO
picks bf16 by default where the CPU supports it; that variant is timed too, as "fp32 model,
default precision"). The fp32 model in eager PyTorch (``torch.no_grad``, eval mode) is timed as
the baseline a user starts from. Batches of 1 (latency) and 64 (throughput) are timed in
interleaved rounds and the ratios come from the same run. Without checkpoints (``--random``),
the models keep their random weights and the int8 one is calibrated on random batches: the
timing is the same, the outputs are meaningless.
"""

import argparse
import statistics
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn


class Features(nn.Module):
    """Normalised images in, ``model.extract_feat`` out: what the deployed graph computes."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.extract_feat(x)


def build(config: str, checkpoint: Optional[str]) -> nn.Module:
    """Build the config's model and load a checkpoint (weights-only) into it."""
    from facerec.utils import build_model, load_config

    return build_model(load_config(config), checkpoint or None)


def input_shape(model: nn.Module) -> List[int]:
    size = model.backbone.input_size
    h, w = (size, size) if isinstance(size, int) else size
    return [3, int(h), int(w)]


def openvino_runner(compiled) -> Callable[[np.ndarray], np.ndarray]:
    """Synchronous inference on one request of a compiled OpenVINO model."""
    request = compiled.create_infer_request()
    return lambda batch: request.infer({0: batch})[0]


def eager_runner(model: nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """The model's ``extract_feat`` in eager PyTorch, without gradients."""
    features = Features(model).eval()

    def run(batch: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return features(torch.from_numpy(batch)).numpy()

    return run


def time_model(
    run: Callable[[np.ndarray], np.ndarray], batch: np.ndarray, iters: int
) -> List[float]:
    """Seconds per call of ``run(batch)``, ``iters`` times (after one warm-up call)."""
    run(batch)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        run(batch)
        times.append(time.perf_counter() - t0)
    return times


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('fp32_config', help='config of the fp32 model')
    parser.add_argument('int8_config', help='config of the QuantizationAwareTraining model')
    parser.add_argument('--fp32-checkpoint')
    parser.add_argument('--int8-checkpoint')
    parser.add_argument('--random', action='store_true', help='no checkpoints: random weights')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 64])
    parser.add_argument('--rounds', type=int, default=5, help='interleaved rounds per model')
    parser.add_argument('--seconds', type=float, default=2.0, help='timing per round and model')
    parser.add_argument('--threads', type=int, default=0, help='CPU threads (0: OpenVINO)')
    parser.add_argument('--save-dir', help='also write the IRs (.xml/.bin) here')
    parser.add_argument('--released-int8', help='a released int8 IR (.xml) to time beside them')
    args = parser.parse_args(argv)
    if not args.random and not (args.fp32_checkpoint and args.int8_checkpoint):
        parser.error('give both checkpoints, or --random')

    import openvino as ov

    fp32 = build(args.fp32_config, None if args.random else args.fp32_checkpoint)
    built = build(args.int8_config, None if args.random else args.int8_checkpoint)
    from facerec.models.compression import find_compressed_model

    int8 = find_compressed_model(built)  # the model, or a distiller's compressed student
    if int8 is None:
        raise SystemExit(f'{args.int8_config} does not describe a compressed model')
    shape = input_shape(fp32)
    if args.random or not int8.is_initialized:
        g = torch.Generator().manual_seed(0)
        int8.initialize_compression([torch.randn([8, *shape], generator=g) for _ in range(4)])
    example = torch.randn([1, *shape])
    with torch.no_grad():
        irs = {
            'fp32': ov.convert_model(Features(fp32), example_input=example),
            'int8': ov.convert_model(Features(int8), example_input=example),
        }
    if args.released_int8:
        irs['released'] = ov.Core().read_model(args.released_int8)
    fq = sum(op.get_type_name() == 'FakeQuantize' for op in irs['int8'].get_ops())
    if args.save_dir:
        import os

        os.makedirs(args.save_dir, exist_ok=True)
        for name, ir in irs.items():
            if name == 'released':
                continue
            ov.save_model(ir, f'{args.save_dir}/{name}.xml', compress_to_fp16=False)

    core = ov.Core()
    base = {} if args.threads <= 0 else {'INFERENCE_NUM_THREADS': args.threads}
    variants = {
        'fp32 (f32)': ('fp32', dict(base, INFERENCE_PRECISION_HINT='f32')),
        'fp32 (default precision)': ('fp32', dict(base)),
        'int8': ('int8', dict(base, INFERENCE_PRECISION_HINT='f32')),
    }
    if 'released' in irs:
        variants['released int8 IR'] = ('released', dict(base, INFERENCE_PRECISION_HINT='f32'))
    default_precision = core.get_property('CPU', 'INFERENCE_PRECISION_HINT')
    print(f'CPU: {core.get_property("CPU", "FULL_DEVICE_NAME")}')
    print(f'OpenVINO {ov.__version__}; default inference precision: {default_precision}')
    print(f'int8 IR: {fq} FakeQuantize ops; input {shape}\n')

    results: Dict[int, Dict[str, float]] = {}
    rng = np.random.default_rng(0)
    for bs in args.batch_sizes:
        batch = rng.standard_normal([bs, *shape]).astype(np.float32)
        compiled = {'eager PyTorch (fp32)': eager_runner(fp32)}
        for label, (name, props) in variants.items():
            ir = irs[name].clone()
            ir.reshape([bs, *shape])
            hint = 'LATENCY' if bs == 1 else 'THROUGHPUT'
            model = core.compile_model(ir, 'CPU', dict(props, PERFORMANCE_HINT=hint))
            compiled[label] = openvino_runner(model)
        outputs = {k: run(batch) for k, run in compiled.items()}
        ref = outputs['eager PyTorch (fp32)']
        per_iter = {
            k: max(1, int(args.seconds / max(1e-4, min(time_model(c, batch, 3)))))
            for k, c in compiled.items()
        }
        samples = {k: [] for k in compiled}
        for _ in range(args.rounds):
            for k, c in compiled.items():
                samples[k].extend(time_model(c, batch, per_iter[k]))
        results[bs] = {k: statistics.median(v) for k, v in samples.items()}
        for k in compiled:
            out, ref_flat = outputs[k].reshape(-1), ref.reshape(-1)  # layouts may differ
            cos = float((out * ref_flat).sum() / np.linalg.norm(out) / np.linalg.norm(ref_flat))
            print(
                f'batch {bs:3d}  {k:26s} {1e3 * results[bs][k]:8.2f} ms  '
                f'{bs / results[bs][k]:9.1f} img/s  cosine to eager {cos:.4f}'
            )
        print()

    released = 'released int8 IR' in variants
    print(
        '| batch | eager PyTorch | fp32 (f32) | fp32 (default precision) | int8 | '
        + ('released int8 | ' if released else '')
        + 'int8 vs eager | int8 vs f32 | int8 vs default |'
        + (' released int8 vs eager |' if released else '')
    )
    print('|---' * (8 + 2 * released) + '|')
    for bs, r in results.items():

        def unit(t: float, bs: int = bs) -> str:
            return f'{1e3 * t:.2f} ms' if bs == 1 else f'{bs / t:.0f} img/s'

        eager = r['eager PyTorch (fp32)']
        cells = [str(bs), unit(eager), unit(r['fp32 (f32)'])]
        cells += [unit(r['fp32 (default precision)']), unit(r['int8'])]
        if released:
            cells.append(unit(r['released int8 IR']))
        cells += [f'{eager / r["int8"]:.2f}x', f'{r["fp32 (f32)"] / r["int8"]:.2f}x']
        cells.append(f'{r["fp32 (default precision)"] / r["int8"]:.2f}x')
        if released:
            cells.append(f'{eager / r["released int8 IR"]:.2f}x')
        print('| ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
