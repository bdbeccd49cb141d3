"""The base class of the face backbones."""

from abc import abstractmethod
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule

from facerec.utils.checks import check_positive_int

from .utils import check_input_shape, check_input_size, init_face_weights


class BaseFaceBackbone(BaseModule):
    """A backbone that maps face crops of a fixed size to embeddings.

    Subclasses pass ``embedding_size`` and ``input_size`` to this constructor,
    which checks them, and implement :meth:`embed`;
    :meth:`forward` checks the input shape with :meth:`check_input` and then
    calls :meth:`embed`.

    Args:
        embedding_size (int): The size of the output embedding.
        input_size (int or tuple[int, int]): Input size, square or (height, width),
            every side divisible by 16 (see
            :func:`~facerec.models.backbones.utils.check_input_size`).
        init_cfg (dict or list[dict], optional): Initialisation config, for example
            ``dict(type='Pretrained', checkpoint=...)``. Defaults to None.

    Attributes:
        input_size (tuple[int, int]): The (height, width) of the input images.
        embedding_size (int): The size of the output embedding.
        zero_init_residual (bool): Whether the default initialisation starts
            the last BN of every residual branch at zero. False unless a
            subclass sets it.
    """

    input_size: Tuple[int, int]
    embedding_size: int
    zero_init_residual: bool = False

    def __init__(
        self,
        embedding_size: int,
        input_size: Union[int, Sequence[int]],
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embedding_size = check_positive_int('embedding_size', embedding_size)
        self.input_size = check_input_size(input_size)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a ValueError unless ``x`` is a batch of images of :attr:`input_size`.

        Args:
            x (Tensor): The input batch, expected of shape (N, 3, H, W) with
                (H, W) equal to :attr:`input_size`.
        """
        check_input_shape(x, self.input_size, type(self).__name__)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute face embeddings.

        Args:
            x (Tensor): Images of shape (N, 3, H, W) with (H, W) equal to
                ``input_size``.

        Returns:
            Tensor: Embeddings of shape (N, embedding_size).

        Raises:
            ValueError: If ``x`` is not a batch of images of ``input_size``.
        """
        self.check_input(x)
        return self.embed(x)

    @abstractmethod
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` without the input check (done by :meth:`check_input`)."""

    def init_weights(self) -> None:
        """Initialise the weights.

        When ``init_cfg`` is set (for example a ``Pretrained`` checkpoint) the
        mmengine initialisation is used; otherwise
        :func:`~facerec.models.backbones.utils.init_face_weights`, with
        :attr:`zero_init_residual`.
        """
        if self.init_cfg:
            super().init_weights()
            return
        init_face_weights(self, self.zero_init_residual)
        self._is_init = True
