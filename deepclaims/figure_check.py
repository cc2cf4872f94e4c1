"""What a reader needs from a figure, checked on the matplotlib figure before it is saved:
a title, labelled axes, and text no smaller than MIN_FONT_PT. Problems are recorded with
the claim (``figure_problems`` in claims.json) and a test fails on any."""
from __future__ import annotations

MIN_FONT_PT = 8.0
DPI = 150


def figure_problems(fig) -> list[str]:
    from matplotlib.text import Text

    problems = []
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    if not suptitle and not any(ax.get_title() for ax in axes):
        problems.append("no title")
    for ax in axes:
        if not ax.has_data():
            continue
        name = ax.get_title() or "an axes"
        if not ax.get_xlabel() and any(t.get_text() for t in ax.get_xticklabels()) and _is_numeric(ax.xaxis):
            problems.append(f"{name!r}: numeric x axis without a label")
        if not ax.get_ylabel() and any(t.get_text() for t in ax.get_yticklabels()) and _shares_no_label(ax):
            problems.append(f"{name!r}: y axis without a label")
    for text in fig.findobj(Text):
        words = text.get_text().strip()
        if text.get_visible() and words and text.get_fontsize() < MIN_FONT_PT:
            problems.append(f"text {words[:30]!r} at {text.get_fontsize():.0f} pt (< {MIN_FONT_PT:.0f})")
    return problems


def _is_numeric(axis) -> bool:
    """Category axes (tick labels that are words) explain themselves; numbers need a label."""
    labels = [t.get_text().replace("\u2212", "-") for t in axis.get_ticklabels() if t.get_text()]
    try:
        [float(x) for x in labels]
    except ValueError:
        return False
    return True


def _shares_no_label(ax) -> bool:
    """A panel of a row that shares its y axis may leave the label to its first panel."""
    shared = ax.get_shared_y_axes().get_siblings(ax)
    return not any(other.get_ylabel() for other in shared if other is not ax)
