"""How numbers and conditions are written for readers (report, console, failure messages)."""
from __future__ import annotations

SIDES = {"above": ">", "below": "<", "equal": "=="}


def fmt_number(x, exact: bool = False) -> str:
    """Exact integers in full with separators; other numbers to 3 significant figures."""
    if x is None:
        return "-"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if x != x:                                   # NaN
        return "nan"
    if (exact or isinstance(x, int)) and float(x).is_integer():
        return f"{int(x):,}"
    if 1e3 <= abs(x) < 1e5:
        return f"{x:,.0f}"
    return f"{x:.3g}"   # 3 significant figures; scientific notation below 1e-4 and from 1e5


def condition_text(direction: str, threshold: float, tolerance: float | None = None, exact: bool = False) -> str:
    """A claim's condition on its quantity: '< 0.6', 'within ±0.05 of 0.93', '== 143,652,544'."""
    if direction == "within":
        return f"within ±{fmt_number(tolerance)} of {fmt_number(threshold)}"
    return f"{SIDES.get(direction, direction)} {fmt_number(threshold, exact)}"
