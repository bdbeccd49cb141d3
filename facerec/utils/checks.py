"""Argument checks shared by backbones, heads, losses, transforms, datasets and deployment.

Every check names the argument in its error message and returns the value in a canonical
type, so a constructor reads ``self.prob = check_probability('prob', prob)``.
"""

import numbers
from typing import Any, Collection, Optional, Sequence, Tuple, Union

__all__ = [
    'is_int',
    'is_number',
    'to_2tuple',
    'check_size',
    'check_positive_int',
    'check_int',
    'check_number',
    'check_positive_number',
    'check_probability',
    'check_choice',
]

IntOrPair = Union[int, Sequence[int]]


def is_int(value: Any) -> bool:
    """Tell whether ``value`` is an integer (``bool`` excluded).

    Args:
        value (Any): The value to test.

    Returns:
        bool: True for ints and other integral numbers, False for bools and the rest.
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Tell whether ``value`` is a real number (``bool`` excluded).

    Args:
        value (Any): The value to test.

    Returns:
        bool: True for ints, floats and other real numbers, False for bools and the rest.
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def to_2tuple(value: IntOrPair, name: str = 'size') -> Tuple[int, int]:
    """Turn an int or a ``(height, width)`` pair of ints into a ``(height, width)`` tuple.

    Args:
        value (int or sequence[int]): A square side, or a (height, width) pair.
        name (str): The argument name used in the error message. Defaults to ``'size'``.

    Returns:
        tuple[int, int]: The size as (height, width).

    Raises:
        ValueError: If ``value`` is neither an int nor a pair of ints.
    """
    if is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f'{name} must be an int or a (height, width) pair of ints, got {value!r}')


def check_size(
    name: str, value: IntOrPair, divisor: int = 1, hint: Optional[str] = None
) -> Tuple[int, int]:
    """Validate an int-or-pair size whose sides are positive multiples of ``divisor``.

    Args:
        name (str): The argument name used in the error message.
        value (int or sequence[int]): A square side, or a (height, width) pair.
        divisor (int): Every side must be divisible by it. Defaults to 1.
        hint (str, optional): Text added to the error message in brackets, such as
            ``'e.g. 112 or 128'``. Defaults to None.

    Returns:
        tuple[int, int]: The size as (height, width).

    Raises:
        ValueError: If the size is malformed, not positive or not divisible by ``divisor``.
    """
    size = to_2tuple(value, name)
    if any(v <= 0 or v % divisor != 0 for v in size):
        rule = 'positive' if divisor == 1 else f'positive and divisible by {divisor}'
        note = f' ({hint})' if hint else ''
        raise ValueError(f'{name} must be {rule}{note}, got {value!r}')
    return size


def check_int(name: str, value: Any, low: Optional[int] = None, high: Optional[int] = None) -> int:
    """Return ``value`` as an int, or raise a ValueError unless it is an int in ``[low, high]``.

    Args:
        name (str): The argument name used in the error message.
        value (Any): The value to check.
        low (int, optional): The smallest allowed value. Defaults to None (unbounded).
        high (int, optional): The largest allowed value. Defaults to None (unbounded).

    Returns:
        int: The value.
    """
    if is_int(value) and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    if high is not None:
        rule = f'an int in [{low}, {high}]' if low is not None else f'an int <= {high}'
    else:
        rule = {None: 'an int', 0: 'a non-negative int', 1: 'a positive int'}.get(
            low, f'an int >= {low}'
        )
    raise ValueError(f'{name} must be {rule}, got {value!r}')


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, or raise a ValueError naming ``name`` unless it is > 0."""
    return check_int(name, value, low=1)


def _interval(low: Optional[float], high: Optional[float], low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        left, right = '(' if low_open else '[', ')' if high_open else ']'
        return f'in {left}{low:g}, {high:g}{right}'
    if low == 0 and low_open:
        return 'a positive number'
    if low is not None:
        return f'a number {">" if low_open else ">="} {low:g}'
    if high is not None:
        return f'a number {"<" if high_open else "<="} {high:g}'
    return 'a number'


def check_number(
    name: str,
    value: Any,
    low: Optional[float] = None,
    high: Optional[float] = None,
    low_open: bool = False,
    high_open: bool = False,
    unit: str = '',
) -> float:
    """Return ``value`` as a float, or raise a ValueError unless it is a number in range.

    The range is ``[low, high]``; ``low_open`` / ``high_open`` exclude an end, and a bound
    left as None is unbounded. NaN is never in range.

    Args:
        name (str): The argument name used in the error message.
        value (Any): The value to check.
        low (float, optional): The lower bound. Defaults to None.
        high (float, optional): The upper bound. Defaults to None.
        low_open (bool): Exclude ``low``. Defaults to False.
        high_open (bool): Exclude ``high``. Defaults to False.
        unit (str): Unit named after the range in the message, e.g. ``'degrees'``.

    Returns:
        float: The value.
    """
    ok = is_number(value) and value == value
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        suffix = f' {unit}' if unit else ''
        interval = _interval(low, high, low_open, high_open)
        raise ValueError(f'{name} must be {interval}{suffix}, got {value!r}')
    return float(value)


def check_positive_number(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise a ValueError naming ``name`` unless it is > 0."""
    return check_number(name, value, low=0, low_open=True)


def check_probability(name: str, value: Any, allow_one: bool = True) -> float:
    """Return ``value`` as a float, or raise a ValueError unless it is a probability.

    A probability of applying something lies in ``[0, 1]``; a drop rate lies in
    ``[0, 1)`` (``allow_one=False``), since dropping everything is never meant.

    Args:
        name (str): The argument name used in the error message.
        value (Any): The value to check.
        allow_one (bool): Accept 1. Defaults to True.

    Returns:
        float: The value.
    """
    return check_number(name, value, low=0, high=1, high_open=not allow_one)


def check_choice(name: str, value: Any, choices: Collection) -> Any:
    """Return ``value``, or raise a ValueError unless it is one of ``choices``.

    Args:
        name (str): The argument name used in the error message.
        value (Any): The value to check.
        choices (collection): The allowed values.

    Returns:
        Any: The value.
    """
    try:
        known = value in choices
    except TypeError:  # an unhashable value tested against a set
        known = False
    if not known:
        raise ValueError(f'{name} must be one of {tuple(choices)}, got {value!r}')
    return value
