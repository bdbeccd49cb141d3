import math

import numpy as np
import pytest

from facerec.utils.checks import (
    check_choice,
    check_int,
    check_number,
    check_positive_int,
    check_positive_number,
    check_probability,
    check_size,
    is_int,
    is_number,
    to_2tuple,
)


def test_is_int_and_is_number():
    assert is_int(3) and is_int(np.int64(3))
    assert not is_int(True) and not is_int(3.0) and not is_int('3')
    assert is_number(3) and is_number(2.5) and is_number(np.float32(0.5))
    assert not is_number(False) and not is_number('1') and not is_number(None)


@pytest.mark.parametrize(
    'value, expected', [(112, (112, 112)), ((112, 96), (112, 96)), ([48, 64], (48, 64))]
)
def test_to_2tuple(value, expected):
    size = to_2tuple(value)
    assert size == expected
    assert all(type(v) is int for v in size)


@pytest.mark.parametrize('value', [1.5, (1, 2, 3), (1, 2.0), 'ab', True, (True, 2), None])
def test_to_2tuple_rejects(value):
    with pytest.raises(ValueError, match=r'^input_size must be an int or a \(height, width\)'):
        to_2tuple(value, 'input_size')


def test_check_size():
    assert check_size('input_size', 112, 16) == (112, 112)
    assert check_size('input_size', (128, 96), 32) == (128, 96)
    assert check_size('output_size', 7) == (7, 7)
    with pytest.raises(ValueError, match=r'^output_size must be positive, got 0'):
        check_size('output_size', 0)
    with pytest.raises(ValueError, match=r'divisible by 16 \(e.g. 112\), got \(112, 100\)'):
        check_size('input_size', (112, 100), 16, hint='e.g. 112')
    with pytest.raises(ValueError, match='divisible by 16'):
        check_size('input_size', -16, 16)


def test_int_checks():
    assert check_positive_int('n', np.int32(4)) == 4
    assert type(check_positive_int('n', np.int32(4))) is int
    assert check_int('n', 0, low=0) == 0
    assert check_int('n', -5) == -5
    assert check_int('n', 7, 2, 7) == 7
    for bad in (0, -1, 2.0, True, '3', None):
        with pytest.raises(ValueError, match=r'^n must be a positive int, got '):
            check_positive_int('n', bad)
    for bad in (-1, 1.0, False):
        with pytest.raises(ValueError, match=r'^k must be a non-negative int, got '):
            check_int('k', bad, low=0)
    with pytest.raises(ValueError, match=r'^k must be an int >= 2, got 1'):
        check_int('k', 1, low=2)
    with pytest.raises(ValueError, match=r'^k must be an int in \[2, 7\], got 8'):
        check_int('k', 8, 2, 7)
    with pytest.raises(ValueError, match=r'^k must be an int <= 7, got 8'):
        check_int('k', 8, high=7)
    with pytest.raises(ValueError, match=r'^k must be an int, got 1.5'):
        check_int('k', 1.5)


def test_check_number_ranges():
    assert check_number('x', 3) == 3.0 and type(check_number('x', 3)) is float
    assert check_number('angle', 180, 0, 180, unit='degrees') == 180.0
    with pytest.raises(ValueError, match=r'^angle must be in \[0, 180\] degrees, got 181'):
        check_number('angle', 181, 0, 180, unit='degrees')
    with pytest.raises(ValueError, match=r'^r must be in \(0, 1\], got 0'):
        check_number('r', 0, 0, 1, low_open=True)
    assert check_number('r', 1, 0, 1, low_open=True) == 1.0
    with pytest.raises(ValueError, match=r'^h must be in \[0, 0.5\], got 0.6'):
        check_number('h', 0.6, 0, 0.5)
    with pytest.raises(ValueError, match=r'^w must be a number >= 0, got -0.1'):
        check_number('w', -0.1, low=0)
    with pytest.raises(ValueError, match=r'^w must be a number > -1, got -1'):
        check_number('w', -1, low=-1, low_open=True)
    with pytest.raises(ValueError, match=r'^w must be a number <= 2, got 3'):
        check_number('w', 3, high=2)
    for bad in (math.nan, True, '1', None):
        with pytest.raises(ValueError, match=r'^w must be a number'):
            check_number('w', bad)


def test_check_positive_number():
    assert check_positive_number('s', 64) == 64.0
    assert check_positive_number('s', math.inf) == math.inf
    for bad in (0, -1.0, math.nan, True, '2'):
        with pytest.raises(ValueError, match=r'^s must be a positive number, got '):
            check_positive_number('s', bad)


def test_check_probability():
    assert check_probability('prob', 0) == 0.0
    assert check_probability('prob', 1) == 1.0
    assert check_probability('dropout', 0.5, allow_one=False) == 0.5
    with pytest.raises(ValueError, match=r'^dropout must be in \[0, 1\), got 1'):
        check_probability('dropout', 1, allow_one=False)
    for bad in (-0.1, 1.01, math.nan, True, None):
        with pytest.raises(ValueError, match=r'^prob must be in \[0, 1\], got '):
            check_probability('prob', bad)


def test_check_choice():
    assert check_choice('act', 'ReLU', ('ReLU', 'PReLU')) == 'ReLU'
    with pytest.raises(ValueError, match=r"^act must be one of \('ReLU', 'PReLU'\), got 'Tanh'"):
        check_choice('act', 'Tanh', ('ReLU', 'PReLU'))
    with pytest.raises(ValueError, match=r'^mode must be one of'):
        check_choice('mode', ['a'], {'a', 'b'})
