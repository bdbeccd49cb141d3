"""Agreement of an exported model with the PyTorch model it came from."""

from typing import Callable, Dict

import numpy as np
import torch
import torch.nn as nn


def compare_outputs(reference: np.ndarray, output: np.ndarray) -> Dict[str, float]:
    """Differences between two batches of model outputs.

    Args:
        reference: ``(N, ...)`` outputs of the reference (PyTorch) model.
        output: Outputs of the exported model, same shape.

    Returns:
        ``max_abs_diff``, ``mean_abs_diff``, ``max_abs_ref`` (the scale of the reference),
        and ``cosine_mean`` / ``cosine_min``: the cosine similarity of each sample's
        flattened output with its reference, averaged and at worst (1 for two all-zero
        outputs, 0 when only one is all zero).
    """
    reference = np.asarray(reference, np.float64)
    output = np.asarray(output, np.float64)
    if reference.shape != output.shape:
        raise ValueError(
            f'Outputs of different shapes: reference {reference.shape}, exported {output.shape}'
        )
    if reference.shape[0] == 0:
        raise ValueError('Cannot compare empty batches')
    diff = np.abs(reference - output)
    ref = reference.reshape(len(reference), -1)
    out = output.reshape(len(output), -1)
    norms = np.linalg.norm(ref, axis=1) * np.linalg.norm(out, axis=1)
    cosine = (ref * out).sum(1) / np.maximum(norms, 1e-30)
    # Two all-zero outputs are the same output; one zero output is not like any other.
    both_zero = ~ref.any(axis=1) & ~out.any(axis=1)
    cosine[both_zero] = 1.0
    return dict(
        num_samples=int(len(reference)),
        max_abs_diff=float(diff.max()),
        mean_abs_diff=float(diff.mean()),
        max_abs_ref=float(np.abs(reference).max()),
        cosine_mean=float(cosine.mean()),
        cosine_min=float(cosine.min()),
    )


def run_batched(fn: Callable[[np.ndarray], np.ndarray], images: np.ndarray, batch_size: int = 32):
    """Run ``fn`` on ``images`` in batches and concatenate the outputs."""
    outputs = [fn(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    return np.concatenate(outputs, axis=0)


def check_parity(
    torch_model: nn.Module,
    exported: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    batch_size: int = 32,
) -> Dict[str, float]:
    """Compare a PyTorch model and an exported one on the same images.

    Args:
        torch_model: The reference, taking the same raw input as the exported model
            (an :class:`~facerec.deployment.ExportWrapper`).
        exported: The exported model, e.g. from :func:`load_exported_model`.
        images: float32 ``(N, 3, H, W)`` raw BGR 0..255 images.
        batch_size: Images per forward pass.

    Returns:
        The numbers of :func:`compare_outputs`.
    """
    torch_model = torch_model.eval()

    def reference(batch: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch_model(torch.from_numpy(batch)).numpy()

    images = np.ascontiguousarray(images, dtype=np.float32)
    return compare_outputs(
        run_batched(reference, images, batch_size), run_batched(exported, images, batch_size)
    )


def format_parity(stats: Dict[str, float], name: str = 'exported', reference: str = 'torch') -> str:
    """One line of parity numbers for the console."""
    return (
        f'Parity {reference} vs {name} on {stats["num_samples"]} images: '
        f'max abs diff {stats["max_abs_diff"]:.3g} (outputs up to {stats["max_abs_ref"]:.3g}), '
        f'mean abs diff {stats["mean_abs_diff"]:.3g}, cosine mean {stats["cosine_mean"]:.6f} '
        f'min {stats["cosine_min"]:.6f}'
    )
