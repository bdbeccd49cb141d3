"""The sparsity level as a function of the training step (epoch or iteration)."""

from typing import Optional, Sequence

SCHEDULES = ('polynomial', 'exponential', 'multistep')


class SparsitySchedule:
    """Raise the sparsity level from ``init`` to ``target`` over ``steps`` steps, then hold it.

    A step is an epoch or an iteration, whichever the caller counts. At step 0 the level is
    ``init``; from step ``steps`` on it is ``target``.

    - ``'polynomial'``: ``init + (target - init) * (1 - (1 - t) ** power)`` with
      ``t = step / steps`` (concave for ``power > 1``: fast first, slow near the target);
      ``power=1`` is linear.
    - ``'exponential'``: the remaining density ``1 - level`` decays geometrically from
      ``1 - init`` to ``1 - target``, so each step removes the same fraction of the weights
      left.
    - ``'multistep'``: ``levels[i]`` from ``milestones[i]`` on (``levels[0]`` from step 0);
      ``init``, ``target`` and ``steps`` are then taken from the lists.

    Args:
        init: Sparsity level at step 0, in ``[0, 1)``.
        target: Final sparsity level, in ``[init, 1)``.
        steps: Number of steps to reach ``target`` (0: ``target`` from the start).
        schedule: One of :data:`SCHEDULES`.
        power: Exponent of the polynomial schedule.
        milestones: Steps at which the multistep schedule moves to its next level.
        levels: Levels of the multistep schedule, one more than ``milestones``.
    """

    def __init__(
        self,
        init: float = 0.01,
        target: float = 0.52,
        steps: int = 10,
        schedule: str = 'polynomial',
        power: float = 3.0,
        milestones: Optional[Sequence[int]] = None,
        levels: Optional[Sequence[float]] = None,
    ) -> None:
        if schedule not in SCHEDULES:
            raise ValueError(f'sparsity schedule must be one of {SCHEDULES}, got {schedule!r}')
        self.schedule = schedule
        if schedule == 'multistep':
            if milestones is None or levels is None or len(levels) != len(milestones) + 1:
                raise ValueError(
                    'the multistep sparsity schedule needs `milestones` and `levels` with one '
                    f'more level than milestones, got milestones={milestones!r}, '
                    f'levels={levels!r}'
                )
            if list(milestones) != sorted(milestones) or any(m <= 0 for m in milestones):
                raise ValueError(f'milestones must be increasing positive steps: {milestones!r}')
            self.milestones = [int(m) for m in milestones]
            self.levels = [float(v) for v in levels]
            init, target = self.levels[0], self.levels[-1]
            steps = self.milestones[-1] if self.milestones else 0
        if not (0.0 <= init <= target < 1.0):
            raise ValueError(
                f'sparsity levels must satisfy 0 <= init <= target < 1, got init={init}, '
                f'target={target}'
            )
        if int(steps) != steps or steps < 0:
            raise ValueError(f'steps must be a non-negative integer, got {steps!r}')
        if power <= 0:
            raise ValueError(f'power must be positive, got {power}')
        self.init = float(init)
        self.target = float(target)
        self.steps = int(steps)
        self.power = float(power)

    def __call__(self, step: int) -> float:
        """The sparsity level at ``step`` (0-based)."""
        if step < 0:
            raise ValueError(f'step must be >= 0, got {step}')
        if step >= self.steps:
            return self.target
        t = step / self.steps
        if self.schedule == 'polynomial':
            return self.init + (self.target - self.init) * (1.0 - (1.0 - t) ** self.power)
        if self.schedule == 'exponential':
            return 1.0 - (1.0 - self.init) * ((1.0 - self.target) / (1.0 - self.init)) ** t
        level = self.levels[0]
        for milestone, value in zip(self.milestones, self.levels[1:]):
            if step >= milestone:
                level = value
        return level

    def __repr__(self) -> str:
        return (
            f'SparsitySchedule({self.schedule}, init={self.init}, target={self.target}, '
            f'steps={self.steps})'
        )
