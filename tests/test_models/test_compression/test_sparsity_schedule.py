import math

import pytest

from facerec.models.compression import SparsitySchedule


def test_exponential_schedule_matches_geometric_density_decay():
    s = SparsitySchedule(init=0.01, target=0.52, steps=5, schedule='exponential')
    # Density 0.99 at step 0 and 0.48 at step 5; each step multiplies it by the same factor.
    factor = (0.48 / 0.99) ** (1 / 5)
    for step in range(6):
        assert s(step) == pytest.approx(1 - 0.99 * factor**step)
    assert s(5) == pytest.approx(0.52) and s(50) == 0.52
    densities = [1 - s(i) for i in range(6)]
    ratios = [b / a for a, b in zip(densities, densities[1:])]
    assert all(r == pytest.approx(ratios[0]) for r in ratios)


def test_polynomial_and_multistep_schedules():
    linear = SparsitySchedule(init=0.1, target=0.5, steps=4, schedule='polynomial', power=1)
    assert [linear(i) for i in range(6)] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.5])
    cubic = SparsitySchedule(init=0.0, target=0.5, steps=2, schedule='polynomial', power=3)
    assert cubic(1) == pytest.approx(0.5 * (1 - 0.5**3))
    multi = SparsitySchedule(schedule='multistep', milestones=[2, 4], levels=[0.1, 0.3, 0.52])
    assert [multi(i) for i in range(6)] == [0.1, 0.1, 0.3, 0.3, 0.52, 0.52]
    assert (multi.init, multi.target, multi.steps) == (0.1, 0.52, 4)
    assert SparsitySchedule(init=0.2, target=0.4, steps=0)(0) == 0.4
    assert not math.isnan(SparsitySchedule(init=0.0, target=0.0, steps=3)(1))


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(schedule='cosine'), 'must be one of'),
        (dict(init=0.6, target=0.5), 'init <= target'),
        (dict(target=1.0), 'target < 1'),
        (dict(steps=-1), 'non-negative'),
        (dict(schedule='multistep', milestones=[2], levels=[0.1]), 'one\nmore level|one more'),
        (dict(schedule='multistep', milestones=[3, 2], levels=[0.1, 0.2, 0.3]), 'increasing'),
    ],
)
def test_bad_schedules_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SparsitySchedule(**kwargs)


def test_negative_step_is_refused():
    with pytest.raises(ValueError):
        SparsitySchedule()(-1)
