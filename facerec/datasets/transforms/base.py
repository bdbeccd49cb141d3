"""The base class of data transforms."""

from abc import ABCMeta, abstractmethod
from typing import Optional


class BaseTransform(metaclass=ABCMeta):
    """A pipeline step: takes the results dict of one sample, returns it updated.

    Subclasses implement :meth:`transform`; returning ``None`` drops the sample.
    """

    def __call__(self, results: dict) -> Optional[dict]:
        return self.transform(results)

    @abstractmethod
    def transform(self, results: dict) -> Optional[dict]:
        """Transform one sample."""

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))
        return f'{self.__class__.__name__}({args})'
