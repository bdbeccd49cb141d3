"""CompressionHook in real runs: fp32 checkpoint -> QAT + sparsity -> resume -> test."""

import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from facerec.engine.runners import FaceRunner

pytest.importorskip('nncf', reason='model compression needs nncf (requirements/optional.txt)')

TINY_BACKBONE = dict(arch_setting=[[2, 16, 1, 2], [2, 16, 2, 2], [2, 16, 1, 2]], last_channels=32)


def make_runner(cfg: dict, name: str) -> FaceRunner:
    cfg = Config(copy.deepcopy(cfg))
    cfg.experiment_name = name
    return FaceRunner.from_cfg(cfg)


def log_text(work_dir: Path) -> str:
    return '\n'.join(p.read_text() for p in sorted(Path(work_dir).glob('*/*.log')))


def compressed_config(base: dict, start: str, work_dir: Path, max_epochs: int = 2) -> dict:
    cfg = copy.deepcopy(base)
    cfg['work_dir'] = str(work_dir)
    cfg['model'] = dict(
        type='QuantizationAwareTraining',
        architecture=base['model'],
        quantization=dict(calibration_batches=2),
        # 4 iterations per epoch: 10% -> 50% over the first 4, masks updated every 2.
        sparsity=dict(
            init=0.1, target=0.5, steps=4, by_epoch=False, interval=2, bn_adaptation_batches=2
        ),
    )
    cfg['custom_hooks'] = [dict(type='NumClassesCheckHook'), dict(type='CompressionHook')]
    cfg['train_cfg'].update(max_epochs=max_epochs, val_interval=max_epochs)
    cfg['optim_wrapper']['optimizer']['lr'] = 0.005
    cfg['load_from'] = start
    return cfg


@pytest.fixture
def fp32_checkpoint(lfw_like, identity_folder, tmp_path, make_tiny_config):
    cfg = make_tiny_config(lfw_like, identity_folder, tmp_path / 'fp32', max_epochs=1)
    cfg['model']['backbone'].update(TINY_BACKBONE)
    cfg['optim_wrapper']['optimizer']['lr'] = 0.01
    make_runner(cfg, 'fp32').train()
    return cfg, str(tmp_path / 'fp32' / 'epoch_1.pth')


def test_train_resume_and_test_a_compressed_model(fp32_checkpoint, tmp_path):
    base, start = fp32_checkpoint

    # Uninterrupted run from the fp32 checkpoint.
    cfg_a = compressed_config(base, start, tmp_path / 'a')
    runner = make_runner(cfg_a, 'qat_a')
    runner.train()
    model = runner.model
    assert model.is_initialized
    assert all(torch.isfinite(p).all() for p in model.parameters() if p.is_floating_point())
    stats = model.compression_summary()
    assert stats['num_quantizers'] > 0
    assert stats['sparsity'] == pytest.approx(0.5, abs=0.005)
    assert runner.message_hub.get_scalar('train/sparsity').current() == pytest.approx(0.5)
    log = log_text(tmp_path / 'a')
    assert 'Compression: calibrating on 2 training batches' in log
    assert 'Compression (initialised)' in log and 'scheduled level 10.00%' in log
    assert 'Compression (level 50.00%)' in log
    final = torch.load(tmp_path / 'a' / 'epoch_2.pth', weights_only=False)['state_dict']
    assert any('__nncf_hooks' in k for k in final)
    # The fp32 weights were loaded before calibration, not the random initialisation.
    fp32 = torch.load(start, weights_only=False)['state_dict']
    first = torch.load(tmp_path / 'a' / 'epoch_1.pth', weights_only=False)['state_dict']
    key = 'backbone.stem.0.0.weight'
    similarity = torch.nn.functional.cosine_similarity(
        first['architecture.' + key].flatten(), fp32[key].flatten(), dim=0
    )
    assert similarity > 0.95

    # Resuming from epoch 1 ends with the same weights, masks and quantizer ranges.
    cfg_b = compressed_config(base, str(tmp_path / 'a' / 'epoch_1.pth'), tmp_path / 'b')
    cfg_b['resume'] = True
    make_runner(cfg_b, 'qat_b').train()
    assert 'Compression (resumed)' in log_text(tmp_path / 'b')
    resumed = torch.load(tmp_path / 'b' / 'epoch_2.pth', weights_only=False)['state_dict']
    assert resumed.keys() == final.keys()
    for k, v in final.items():
        assert torch.allclose(resumed[k].float(), v.float(), atol=1e-5), k

    # Testing with the same config loads the checkpoint weights-only and reports the sparsity.
    cfg_t = compressed_config(base, str(tmp_path / 'a' / 'epoch_2.pth'), tmp_path / 't')
    tester = make_runner(cfg_t, 'qat_test')
    metrics = tester.test()
    assert {'lfw/accuracy', 'lfw/auc'} <= set(metrics)
    log = log_text(tmp_path / 't')
    assert 'Compression (test)' in log and 'sparsity 50.0' in log
    for k, v in tester.model.state_dict().items():
        assert torch.equal(v, final[k]), k


def test_compressed_config_tested_on_fp32_checkpoint_is_calibrated_first(fp32_checkpoint, tmp_path):
    base, start = fp32_checkpoint
    cfg = compressed_config(base, start, tmp_path / 'ptq')
    tester = make_runner(cfg, 'ptq')
    metrics = tester.test()
    assert 'lfw/accuracy' in metrics and tester.model.is_initialized
    log = log_text(tmp_path / 'ptq')
    assert 'calibrating on the training data first' in log
    assert 'scheduled level 10.00%' in log


def test_post_training_config_calibrates_on_its_calibration_dataloader(fp32_checkpoint, tmp_path):
    base, start = fp32_checkpoint
    cfg = compressed_config(base, start, tmp_path / 'ptq_only')
    # Nothing to train: the calibration data is all the config has besides the test.
    cfg['calibration_dataloader'] = cfg.pop('train_dataloader')
    cfg.pop('train_cfg'), cfg.pop('optim_wrapper'), cfg.pop('param_scheduler', None)
    tester = make_runner(cfg, 'ptq_only')
    assert 'lfw/accuracy' in tester.test() and tester.model.is_initialized
    assert 'calibrating on the training data first' in log_text(tmp_path / 'ptq_only')
    del cfg['calibration_dataloader']
    with pytest.raises(RuntimeError, match='no calibration_dataloader or train_dataloader'):
        make_runner(cfg, 'no_data').test()


def test_hook_refuses_an_uncompressed_model(fp32_checkpoint, tmp_path):
    base, _ = fp32_checkpoint
    cfg = copy.deepcopy(base)
    cfg['work_dir'] = str(tmp_path / 'plain')
    cfg['custom_hooks'] = [dict(type='CompressionHook')]
    with pytest.raises(TypeError, match='needs a compressed model'):
        make_runner(cfg, 'plain').train()


def test_hook_calibrates_the_compressed_student_of_a_distiller():
    """The hook is where calibration starts, also for a distiller's compressed student."""
    from types import SimpleNamespace

    from mmengine.logging import MMLogger

    from facerec.engine.hooks import CompressionHook
    from facerec.registry import MODELS
    from facerec.structures import FaceDataSample

    architecture = dict(
        type='FaceRecognizer',
        backbone=dict(type='MobileFaceNet', widen_factor=0.25, embedding_size=16, input_size=32),
        head=dict(type='AMSoftmaxHead', num_classes=4, in_channels=16),
    )
    student = dict(
        type='QuantizationAwareTraining',
        architecture=dict(architecture, backbone=dict(architecture['backbone'], **TINY_BACKBONE)),
        quantization=dict(calibration_batches=1),
    )
    # No distillation loss: the teacher is never loaded.
    distiller = MODELS.build(
        dict(
            type='EmbeddingDistiller',
            student=student,
            teacher=dict(embeddings='never-read.npz'),
            distill_losses=[],
        )
    ).train()
    gen = torch.Generator().manual_seed(0)
    images = [
        torch.randint(0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8) for _ in range(4)
    ]
    samples = [FaceDataSample().set_gt_label(i) for i in range(4)]
    inputs = distiller.data_preprocessor(dict(inputs=images, data_samples=samples), True)['inputs']
    with pytest.raises(RuntimeError, match='CompressionHook'):
        distiller(inputs, samples, mode='loss')
    runner = SimpleNamespace(
        model=distiller,
        train_dataloader=[dict(inputs=images, data_samples=samples)],
        logger=MMLogger.get_current_instance(),
    )
    CompressionHook().before_train(runner)
    assert distiller.student.is_initialized
    losses = distiller(inputs, samples, mode='loss')
    assert torch.isfinite(losses['loss_cls'])
