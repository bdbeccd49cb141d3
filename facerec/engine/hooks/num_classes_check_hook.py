"""Checks that the classifier head fits the training identities."""

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from facerec.registry import HOOKS


@HOOKS.register_module()
class NumClassesCheckHook(Hook):
    """Before training, compare the head's ``num_classes`` with the dataset's.

    A head smaller than the number of identities fails deep inside the loss
    with an index error; a larger one silently wastes memory. This hook turns
    both into a clear message naming the two numbers.
    """

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'head', None)
        head_classes = getattr(head, 'num_classes', None)
        dataset = runner.train_dataloader.dataset
        data_classes = dataset.metainfo.get('num_classes')
        if head_classes is None or data_classes is None:
            return
        if head_classes < data_classes:
            raise ValueError(
                f'The head has num_classes={head_classes} but the training set '
                f'{type(dataset).__name__} has {data_classes} identities; set '
                f'model.head.num_classes={data_classes}'
            )
        if head_classes > data_classes:
            runner.logger.warning(
                f'The head has num_classes={head_classes}, more than the {data_classes} '
                'identities of the training set'
            )
