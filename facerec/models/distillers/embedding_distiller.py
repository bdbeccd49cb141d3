"""Knowledge distillation of face embeddings: a student recogniser trained to follow a
frozen teacher."""

import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModel

from facerec.registry import MODELS
from facerec.structures import FaceDataSample

from ..wrapped_model import WrappedModelParts, adopt_wrapped_checkpoint, build_wrapped_model

#: The keys of each kind of ``teacher`` config.
TEACHER_KINDS = {
    'checkpoint': ({'config', 'checkpoint'}, set()),
    'exported': ({'model', 'config'}, {'device'}),
    'embeddings': ({'embeddings'}, set()),
}


def _teacher_kind(cfg: dict) -> str:
    """``'checkpoint'``, ``'exported'`` or ``'embeddings'`` from the keys of a teacher config."""
    if not isinstance(cfg, dict):
        raise TypeError(f'teacher must be a dict, got {type(cfg).__name__}')
    if 'embeddings' in cfg:
        kind = 'embeddings'
    elif 'model' in cfg:
        kind = 'exported'
    elif 'checkpoint' in cfg:
        kind = 'checkpoint'
    else:
        raise KeyError(
            'teacher needs dict(config=..., checkpoint=...) (a facerec model), '
            'dict(model=MODEL.xml|.onnx, config=...) (an exported model) or '
            f'dict(embeddings=FILE.npz), got keys {sorted(cfg)}'
        )
    required, optional = TEACHER_KINDS[kind]
    missing = sorted(required - set(cfg))
    unknown = sorted(set(cfg) - required - optional)
    if missing or unknown:
        raise KeyError(
            f'teacher of kind {kind!r} needs the keys {sorted(required)}'
            + (f' (optional {sorted(optional)})' if optional else '')
            + (f'; missing {missing}' if missing else '')
            + (f'; unknown {unknown}' if unknown else '')
        )
    return kind


class FrozenTeacher:
    """The teacher of a distiller: outside the module tree, so it is neither trained nor
    saved, and always in eval mode.

    Call it on a uint8/float BGR 0-255 batch ``(N, 3, H, W)`` of its input size, or, for a
    teacher of precomputed embeddings, on the samples' image paths.

    Attributes:
        kind: ``'checkpoint'``, ``'exported'`` or ``'embeddings'``.
        module: The torch module (``ExportWrapper`` around the built model) of a
            ``'checkpoint'`` teacher, else None.
        input_size: ``(H, W)`` of the teacher's images (None for embeddings).
    """

    def __init__(self, cfg: dict):
        self.cfg = dict(cfg)
        self.kind = _teacher_kind(self.cfg)
        self.module: Optional[nn.Module] = None
        self.runtime = None
        self.input_size: Optional[Tuple[int, int]] = None
        self.table: Optional[Dict[str, int]] = None
        self.embeddings: Optional[torch.Tensor] = None
        self.embeddings_flip: Optional[torch.Tensor] = None
        self.loaded = False

    def describe(self) -> str:
        """The teacher's files, for messages."""
        keys = ('model', 'checkpoint', 'embeddings', 'config')
        return ', '.join(f'{k}={self.cfg[k]}' for k in keys if k in self.cfg)

    @staticmethod
    def _require_file(path: str, what: str) -> str:
        path = str(path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'The distillation teacher {what} {path} does not exist')
        return path

    def load(self, device: Optional[torch.device] = None) -> 'FrozenTeacher':
        """Build or read the teacher (once)."""
        if self.loaded:
            return self
        if self.kind == 'embeddings':
            self._load_embeddings(self._require_file(self.cfg['embeddings'], 'embeddings'))
            self.loaded = True
            return self
        from mmengine.config import Config

        cfg = Config.fromfile(self._require_file(self.cfg['config'], 'config'))
        if self.kind == 'checkpoint':
            from facerec.deployment import ExportWrapper, build_model, find_input_size

            model = build_model(cfg, self._require_file(self.cfg['checkpoint'], 'checkpoint'))
            size = find_input_size(model)
            if size is None:
                raise ValueError(
                    f'Cannot tell the input size of the teacher of {self.cfg["config"]}: its '
                    'backbone has no input_size'
                )
            module = ExportWrapper(model).eval()
            module.requires_grad_(False)
            if device is not None:
                module.to(device)
            self.module, self.input_size = module, tuple(size)
        else:
            from facerec.deployment import load_exported_model, sidecar_path
            from facerec.deployment.backend_model import config_metadata

            path = self._require_file(self.cfg['model'], 'model')
            meta = None if osp.isfile(sidecar_path(path)) else config_metadata(cfg, path)
            self.runtime = load_exported_model(
                path, device=self.cfg.get('device', 'CPU'), meta=meta
            )
            if self.runtime.task != 'recognition':
                raise ValueError(f'The distillation teacher {path} is a {self.runtime.task} model')
            self.input_size = tuple(self.runtime.input_size)
        self.loaded = True
        return self

    def _load_embeddings(self, path: str) -> None:
        with np.load(path, allow_pickle=False) as data:
            if 'img_path' not in data or 'embeddings' not in data:
                raise KeyError(
                    f'{path} must hold the arrays img_path and embeddings, has {sorted(data)}'
                )
            paths, embeddings = data['img_path'], data['embeddings']
            flipped = data['embeddings_flip'] if 'embeddings_flip' in data else None
        if embeddings.ndim != 2 or len(paths) != len(embeddings):
            raise ValueError(
                f'{path}: expected {len(paths)} embeddings of shape (N, D), got {embeddings.shape}'
            )
        if flipped is not None and flipped.shape != embeddings.shape:
            raise ValueError(
                f'{path}: embeddings_flip has shape {flipped.shape}, embeddings {embeddings.shape}'
            )
        self.table = {}
        for i, name in enumerate(paths.tolist()):
            self.table.setdefault(str(name), i)
            self.table.setdefault(osp.normpath(str(name)), i)
        self.embeddings = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32))
        if flipped is not None:
            self.embeddings_flip = torch.from_numpy(np.ascontiguousarray(flipped, np.float32))

    def lookup(
        self, img_paths: Sequence[Optional[str]], flips: Optional[Sequence[bool]] = None
    ) -> torch.Tensor:
        """The stored embeddings of these images; of their mirror image where ``flips`` says
        the sample was flipped and the table holds ``embeddings_flip``."""
        rows = []
        for path in img_paths:
            row = None
            if path is not None:
                row = self.table.get(str(path), self.table.get(osp.normpath(str(path))))
            if row is None:
                raise KeyError(
                    f'No teacher embedding for image {path} in {self.cfg["embeddings"]} '
                    '(made from another dataset? rerun tools/analysis/extract_embeddings.py)'
                )
            rows.append(row)
        targets = self.embeddings[rows]
        if flips is not None and self.embeddings_flip is not None:
            mirrored = torch.as_tensor([bool(f) for f in flips])
            if mirrored.any():
                targets[mirrored] = self.embeddings_flip[rows][mirrored]
        return targets

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Embed raw BGR 0-255 images ``(N, 3, H, W)`` (not L2-normalised)."""
        height, width = self.input_size
        if images.dim() != 4 or tuple(images.shape[1:]) != (3, height, width):
            raise ValueError(
                f'The distillation teacher ({self.describe()}) takes (N, 3, {height}, {width}) '
                f'images but the teacher view gives {tuple(images.shape)}; set '
                f'TeacherView(output_size=...) to its input size'
            )
        if self.module is not None:
            self.module.eval()
            device = next(self.module.buffers()).device
            return self.module(images.to(device=device, dtype=torch.float32))
        array = images.detach().to('cpu', torch.float32).numpy()
        return torch.from_numpy(self.runtime(array)).to(images.device)


@MODELS.register_module()
class EmbeddingDistiller(WrappedModelParts, BaseModel):
    """Train a student recogniser to reproduce a frozen teacher's embeddings.

    Every mode but ``'loss'`` is the student's: ``predict``, ``extract_feat`` and ``'tensor'``
    run the student alone (so ``tools/test.py`` and the exporters treat the distiller like
    its student), and the data preprocessor is the student's. In ``'loss'`` mode the teacher
    embeds the teacher view of each image (``data_samples[i].teacher_inputs``, raw uint8 BGR
    ``(3, H, W)`` made by the ``TeacherView`` and ``PackTeacherInputs`` transforms) with its
    own preprocessing, and the losses compare the two embeddings.

    The teacher is loaded when the first loss is computed (building the distiller to test or
    export the student needs no teacher file). It is kept outside the module tree: it is in
    no state dict (checkpoints hold the student only), the optimiser never sees it, it stays
    in eval mode with frozen weights and batch-norm statistics, and ``.to()``, ``.cuda()``
    and ``.cpu()`` still move it.

    Args:
        student: Config (or module) of a recogniser: ``FaceRecognizer`` or a compression
            wrapper around one (calibrated by ``CompressionHook``).
        teacher: One of

            - ``dict(config=CFG, checkpoint=CKPT)``: a facerec model, built from its config
              and loaded weights-only;
            - ``dict(model=MODEL.xml|MODEL.onnx, config=CFG)``: an exported or released
              model run by the deployment runtime (a model without ``.json`` sidecar is
              described by ``CFG``), optional ``device`` (``'CPU'``);
            - ``dict(embeddings=FILE.npz)``: embeddings computed once by
              ``tools/analysis/extract_embeddings.py``, looked up by each sample's
              ``img_path`` (no teacher view needed); those of the mirrored image for a
              sample that ``RandomFlip`` flipped, where the file has them (``--flip``).
        distill_losses: Configs of the distillation losses (``MODELS``), each called as
            ``loss(student_feats, teacher_feats)`` and logged as ``loss_<name>`` (``name``
            key of the config, else the loss's ``loss_name``).
        head_loss_weight: Weight of the student's own head loss (and auxiliary losses) on
            the identity labels; 0 disables it and then no labels are needed.
        data_preprocessor: Defaults to the student's.
        init_cfg: Weight initialisation config.
    """

    wrapped_name = 'student'

    def __init__(
        self,
        student: Union[dict, nn.Module],
        teacher: dict,
        distill_losses: Sequence[dict] = (dict(type='CosineEmbeddingDistillLoss'),),
        head_loss_weight: float = 1.0,
        data_preprocessor: Optional[Union[dict, nn.Module]] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        student, data_preprocessor = build_wrapped_model(student, data_preprocessor, 'student')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = student
        # A plain attribute (not a Module): outside state_dict, parameters() and train().
        self._teacher = FrozenTeacher(teacher)
        if isinstance(head_loss_weight, bool) or not float(head_loss_weight) >= 0:
            raise ValueError(f'head_loss_weight must be >= 0, got {head_loss_weight!r}')
        self.head_loss_weight = float(head_loss_weight)
        if self.head_loss_weight > 0 and getattr(self.architecture, 'head', None) is None:
            raise ValueError(
                f'head_loss_weight={head_loss_weight} needs a student with a head; give the '
                'student a head or set head_loss_weight=0'
            )
        self.distill_loss_names: List[str] = []
        self.distill_losses = nn.ModuleList()
        for cfg in distill_losses:
            cfg = dict(cfg)
            name = cfg.pop('name', None)
            module = MODELS.build(cfg)
            name = str(name or getattr(module, 'loss_name', type(module).__name__.lower()))
            name = name[len('loss_') :] if name.startswith('loss_') else name
            if name in self.distill_loss_names:
                raise ValueError(f'Two distillation losses are named {name!r}; give one a `name`')
            self.distill_loss_names.append(name)
            self.distill_losses.append(module)
        if not self.distill_losses and self.head_loss_weight == 0:
            raise ValueError('EmbeddingDistiller needs distill_losses or head_loss_weight > 0')

    # ------------------------------------------------------------------ parts
    @property
    def architecture(self) -> nn.Module:
        """The student's recogniser (inside a compression wrapper, the wrapped one)."""
        return getattr(self.student, 'architecture', self.student)

    @property
    def teacher(self) -> FrozenTeacher:
        """The frozen teacher, loaded on first access."""
        return self._teacher.load(self._device())

    @property
    def training_only_modules(self) -> Tuple[str, ...]:
        """The student's training-only sub-modules and the distillation losses."""
        return (*super().training_only_modules, 'distill_losses')

    def _device(self) -> torch.device:
        param = next(self.student.parameters(), None)
        return param.device if param is not None else torch.device('cpu')

    def _apply(self, fn, *args, **kwargs):
        # Device and dtype moves (.to/.cuda/.cpu/.half) reach the teacher too.
        super()._apply(fn, *args, **kwargs)
        if self._teacher.module is not None:
            self._teacher.module._apply(fn, *args, **kwargs)
        return self

    def train(self, mode: bool = True) -> 'EmbeddingDistiller':
        """Set the student's mode; the teacher stays in eval mode."""
        super().train(mode)
        if self._teacher.module is not None:
            self._teacher.module.eval()
        return self

    def init_weights(self) -> None:
        """Initialise the student by its own ``init_weights`` (a compression wrapper keeps
        its NNCF state, whose integer parameters mmengine's bookkeeping cannot average)."""
        if hasattr(self.student, 'init_weights'):
            self.student.init_weights()
        self._is_init = True

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Load the distiller's own checkpoints and checkpoints of the bare student
        (``load_from`` a trained recogniser), whose keys load under ``student.`` (see
        :func:`~facerec.models.wrapped_model.adopt_wrapped_checkpoint`)."""
        adopt_wrapped_checkpoint(state_dict, prefix, self.wrapped_name)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ forward
    def extract_feat(self, inputs: torch.Tensor) -> Any:
        """The student's embeddings of a preprocessed batch."""
        return self.student.extract_feat(inputs)

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[FaceDataSample]] = None,
        mode: str = 'tensor',
    ):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.student(inputs, data_samples, mode)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", "predict" or "tensor"')

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[List[FaceDataSample]] = None
    ) -> List[FaceDataSample]:
        """The student's predictions."""
        return self.student(inputs, data_samples, 'predict')

    def teacher_embeddings(
        self, data_samples: List[FaceDataSample], device: torch.device
    ) -> torch.Tensor:
        """The teacher's embeddings of a batch, from its views or its stored table."""
        teacher = self.teacher
        if teacher.kind == 'embeddings':
            paths = [sample.metainfo.get('img_path') for sample in data_samples]
            flips = [sample.metainfo.get('flip', False) for sample in data_samples]
            return teacher.lookup(paths, flips).to(device)
        views = []
        for sample in data_samples:
            view = sample.get('teacher_inputs')
            if view is None:
                name = sample.metainfo.get('img_path', '<image>')
                raise KeyError(
                    f'The data sample of {name} has no teacher_inputs: put TeacherView(...) '
                    'before AlignFace and PackTeacherInputs in place of PackFaceInputs in '
                    'the training pipeline'
                )
            views.append(view)
        return teacher(torch.stack(views).to(device)).to(device)

    def loss(
        self, inputs: torch.Tensor, data_samples: List[FaceDataSample]
    ) -> Dict[str, torch.Tensor]:
        """The distillation losses (``loss_<name>``) and the student's head losses, weighted."""
        feats = self.student.extract_feat(inputs)
        losses: Dict[str, torch.Tensor] = {}
        if self.head_loss_weight > 0:
            arch = self.architecture
            labels = torch.stack([s.gt_label for s in data_samples]).to(inputs.device)
            labels = labels.reshape(-1).long()
            head_losses = dict(arch.head.loss(feats, labels))
            for name, aux in zip(
                getattr(arch, 'aux_loss_names', ()), getattr(arch, 'aux_losses', ())
            ):
                head_losses[f'loss_{name}'] = aux(feats, labels, head=arch.head)
            for key, value in head_losses.items():
                scaled = key.startswith('loss') and self.head_loss_weight != 1.0
                losses[key] = value * self.head_loss_weight if scaled else value
        if self.distill_losses:
            targets = self.teacher_embeddings(data_samples, feats.device)
            for name, loss in zip(self.distill_loss_names, self.distill_losses):
                losses[f'loss_{name}'] = loss(feats, targets)
        return losses
