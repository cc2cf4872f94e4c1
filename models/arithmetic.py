"""Closed-form architecture arithmetic, computed from layer tables without running torch.

A network is described as a table: a sequence of layer specifications (:class:`Conv`,
:class:`MaxPool`, :class:`Linear`, ... and :class:`Parallel` for inception-style
branches). The same table is what :func:`models.counting.instantiate` turns into a torch
module, so the formulas here and the counts taken from the instantiated module
(``models.counting``) describe one architecture, and a disagreement between them is an
error in one of the two, never a difference of definitions.

Per layer this module gives, by the textbook formulas:

- output size of a convolution or pooling window:
  ``floor((n + 2p - d(k - 1) - 1) / s) + 1``;
- convolution weights ``out * (in / groups) * kh * kw`` (biases ``out``);
- fully connected weights ``in * out`` (biases ``out``);
- multiplies (one per weight per output position, which is what lectures call "ops"):
  convolution ``out_h * out_w * out * (in / groups) * kh * kw``, linear ``in * out``;
- activations ("memory" in the VGG lab table): the number of values a layer outputs;
- receptive field of a stack: ``1 + sum_i (k_i - 1) d_i prod_{j<i} s_j``, which for N
  stride-1 FxF convolutions is the lab's ``NF - N + 1``.

The formulas are gathered in a :class:`Formulas` bundle so that a negative control can
swap one for a deliberately wrong version and check that the comparisons catch it.
Nothing here imports torch.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence, Union

Pair = tuple[int, int]


def pair(value: int | Sequence[int]) -> Pair:
    """``3`` -> ``(3, 3)``; ``(3, 5)`` stays; the way torch reads kernel, stride, padding."""
    if isinstance(value, int):
        return (value, value)
    first, second = value
    return (int(first), int(second))


# --------------------------------------------------------------------------- layer tables

@dataclass(frozen=True)
class Conv:
    """A 2-d convolution, as ``torch.nn.Conv2d`` takes it."""

    name: str
    in_channels: int
    out_channels: int
    kernel: int | Pair
    stride: int | Pair = 1
    padding: int | Pair = 0
    dilation: int | Pair = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self):
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{self.name}: channels {self.in_channels}->{self.out_channels} "
                             f"are not divisible by groups={self.groups}")


@dataclass(frozen=True)
class MaxPool:
    """Max pooling; ``stride`` defaults to the window, as in torch."""

    name: str
    kernel: int | Pair
    stride: int | Pair | None = None
    padding: int | Pair = 0


@dataclass(frozen=True)
class AdaptiveAvgPool:
    """Average pooling to a fixed output size (torchvision's AlexNet ends its features so)."""

    name: str
    output: Pair


@dataclass(frozen=True)
class Linear:
    name: str
    in_features: int
    out_features: int
    bias: bool = True


@dataclass(frozen=True)
class Pointwise:
    """A shape-preserving layer without parameters whose output the tables do not count
    separately: ReLU (applied in place to its input's storage), local response
    normalisation and dropout. Kinds: ``relu``, ``lrn``, ``dropout``."""

    kind: str
    name: str = ""


@dataclass(frozen=True)
class Flatten:
    name: str = ""


@dataclass(frozen=True)
class Parallel:
    """Branches applied to the same input whose outputs are concatenated along channels
    (an inception module). ``branches`` is a tuple of ``(branch name, layers)``."""

    name: str
    branches: tuple[tuple[str, tuple["Layer", ...]], ...]


Layer = Union[Conv, MaxPool, AdaptiveAvgPool, Linear, Pointwise, Flatten, Parallel]


# --------------------------------------------------------------------------- the formulas

def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis of a convolution or pooling window (floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_weight_count(conv: Conv) -> int:
    """Each of ``out`` filters sees ``in / groups`` channels through a ``kh x kw`` window."""
    kh, kw = pair(conv.kernel)
    return conv.out_channels * (conv.in_channels // conv.groups) * kh * kw


def conv_multiplies(conv: Conv, out_hw: Pair) -> int:
    """One multiply per filter weight at every output position."""
    return out_hw[0] * out_hw[1] * conv_weight_count(conv)


def linear_weight_count(linear: Linear) -> int:
    return linear.in_features * linear.out_features


def linear_multiplies(linear: Linear) -> int:
    return linear.in_features * linear.out_features


def stacked_receptive_field(n_layers: int, kernel: int) -> int:
    """The lab's formula: N stride-1 FxF convolutions see an (NF - N + 1)-wide window,
    because each layer after the first widens the window by F - 1."""
    return n_layers * kernel - n_layers + 1


def receptive_field(layers: Iterable[tuple[int, int, int]]) -> int:
    """Receptive field of a stack of ``(kernel, stride, dilation)`` layers along one axis.

    Layer i widens the window by ``(k_i - 1) d_i`` input steps of its own input, and one
    step there is ``prod_{j<i} s_j`` pixels of the network's input.
    """
    field_size, jump = 1, 1
    for kernel, stride, dilation in layers:
        field_size += (kernel - 1) * dilation * jump
        jump *= stride
    return field_size


@dataclass(frozen=True)
class Formulas:
    """The closed forms :func:`analyse` uses; a negative control replaces one of them
    (``dataclasses.replace(STANDARD, conv_weights=wrong)``) to show the checks catch it.

    ``stored`` names the layer kinds whose outputs count as activations (memory) in the
    lab's VGG table: the input, every convolution, pooling and fully connected output.
    """

    conv_output_size: Callable[[int, int, int, int, int], int] = conv_output_size
    conv_weights: Callable[[Conv], int] = conv_weight_count
    conv_multiplies: Callable[[Conv, Pair], int] = conv_multiplies
    linear_weights: Callable[[Linear], int] = linear_weight_count
    linear_multiplies: Callable[[Linear], int] = linear_multiplies
    stored: frozenset[str] = frozenset({"input", "conv", "pool", "linear"})


STANDARD = Formulas()


# --------------------------------------------------------------------------- per-layer walk

@dataclass(frozen=True)
class LayerRow:
    """One counted layer of a table: what it outputs, stores, holds and multiplies."""

    name: str
    kind: str                      # input, conv, pool or linear
    label: str                     # the lab's style: CONV3-64, POOL2, FC-4096
    output_shape: tuple[int, ...]  # per image: (C, H, W) or (features,)
    activations: int
    weights: int
    biases: int
    multiplies: int
    activation_expression: str = ""
    weight_expression: str = ""

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass(frozen=True)
class Totals:
    weights: int
    biases: int
    activations: int
    multiplies: int

    @property
    def params(self) -> int:
        return self.weights + self.biases


def totals(rows: Iterable[LayerRow]) -> Totals:
    rows = list(rows)
    return Totals(sum(r.weights for r in rows), sum(r.biases for r in rows),
                  sum(r.activations for r in rows), sum(r.multiplies for r in rows))


def _shape_expression(shape: tuple[int, ...]) -> str:
    # The lab writes H*W*C (224*224*64); our shapes are (C, H, W).
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}*{w}*{c}"
    return "*".join(str(s) for s in shape)


def analyse(layers: Sequence[Layer], input_shape: tuple[int, ...],
            formulas: Formulas = STANDARD, include_input: bool = True) -> list[LayerRow]:
    """Walk a layer table from ``input_shape`` (C, H, W) and return one row per counted
    layer (input, convolutions, pooling, fully connected), by closed forms only."""
    rows: list[LayerRow] = []
    if include_input:
        rows.append(_row(formulas, "input", "input", "Input", tuple(input_shape), 0, 0, 0, ""))
    _walk(layers, tuple(input_shape), formulas, "", rows)
    return rows


def output_shape(layers: Sequence[Layer], input_shape: tuple[int, ...],
                 formulas: Formulas = STANDARD) -> tuple[int, ...]:
    """The per-image shape a layer table produces from ``input_shape``."""
    return _walk(layers, tuple(input_shape), formulas, "", [])


def _row(formulas: Formulas, name, kind, label, shape, weights, biases, multiplies, weight_expr) -> LayerRow:
    stored = math.prod(shape) if kind in formulas.stored else 0
    if not stored:
        activation_expr = "0"
    elif len(shape) == 3:
        activation_expr = f"{_shape_expression(shape)} = {stored:,}"
    else:
        activation_expr = f"{stored:,}"
    return LayerRow(name, kind, label, shape, stored, weights, biases, multiplies, activation_expr,
                    f"{weight_expr} = {weights:,}" if weights else "0")


def _walk(layers: Sequence[Layer], shape: tuple[int, ...], formulas: Formulas, prefix: str,
          rows: list[LayerRow]) -> tuple[int, ...]:
    for layer in layers:
        name = prefix + layer.name
        if isinstance(layer, Conv):
            c, h, w = _expect_image(shape, name, layer.in_channels)
            (kh, kw), (sh, sw) = pair(layer.kernel), pair(layer.stride)
            (ph, pw), (dh, dw) = pair(layer.padding), pair(layer.dilation)
            out_hw = (formulas.conv_output_size(h, kh, sh, ph, dh),
                      formulas.conv_output_size(w, kw, sw, pw, dw))
            shape = (layer.out_channels, *out_hw)
            rows.append(_row(formulas, name, "conv", f"CONV{kh if kh == kw else f'{kh}x{kw}'}-{layer.out_channels}",
                             shape, formulas.conv_weights(layer),
                             layer.out_channels if layer.bias else 0,
                             formulas.conv_multiplies(layer, out_hw),
                             f"({kh}*{kw}*{layer.in_channels // layer.groups})*{layer.out_channels}"))
        elif isinstance(layer, MaxPool):
            c, h, w = _expect_image(shape, name)
            (kh, kw), (ph, pw) = pair(layer.kernel), pair(layer.padding)
            sh, sw = pair(layer.stride if layer.stride is not None else layer.kernel)
            shape = (c, formulas.conv_output_size(h, kh, sh, ph, 1),
                     formulas.conv_output_size(w, kw, sw, pw, 1))
            rows.append(_row(formulas, name, "pool", f"POOL{kh if kh == kw else f'{kh}x{kw}'}",
                             shape, 0, 0, 0, ""))
        elif isinstance(layer, AdaptiveAvgPool):
            c, _, _ = _expect_image(shape, name)
            shape = (c, *pair(layer.output))
            rows.append(_row(formulas, name, "pool", "AVGPOOL", shape, 0, 0, 0, ""))
        elif isinstance(layer, Linear):
            if math.prod(shape) != layer.in_features or len(shape) != 1:
                raise ValueError(f"{name}: expects {layer.in_features} features, gets shape {shape}")
            shape = (layer.out_features,)
            rows.append(_row(formulas, name, "linear", f"FC-{layer.out_features}", shape,
                             formulas.linear_weights(layer), layer.out_features if layer.bias else 0,
                             formulas.linear_multiplies(layer), f"{layer.in_features}*{layer.out_features}"))
        elif isinstance(layer, Flatten):
            shape = (math.prod(shape),)
        elif isinstance(layer, Pointwise):
            pass
        elif isinstance(layer, Parallel):
            _expect_image(shape, name)
            branch_shapes = [_walk(branch, shape, formulas, f"{name}.{branch_name}.", rows)
                             for branch_name, branch in layer.branches]
            if len({s[1:] for s in branch_shapes}) != 1:
                raise ValueError(f"{name}: branches disagree on spatial size {branch_shapes}")
            shape = (sum(s[0] for s in branch_shapes), *branch_shapes[0][1:])
        else:
            raise TypeError(f"unknown layer specification {layer!r}")
    return shape


def _expect_image(shape: tuple[int, ...], name: str, channels: int | None = None) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(f"{name}: expects a (C, H, W) input, gets shape {shape}")
    if channels is not None and shape[0] != channels:
        raise ValueError(f"{name}: expects {channels} input channels, gets {shape[0]}")
    if min(shape) < 1:
        raise ValueError(f"{name}: input shape {shape} is empty (the layers before shrank it away)")
    return shape


def conv_layers(layers: Sequence[Layer]) -> list[Conv]:
    """Every convolution of a table, branches included, in table order."""
    found: list[Conv] = []
    for layer in layers:
        if isinstance(layer, Conv):
            found.append(layer)
        elif isinstance(layer, Parallel):
            for _, branch in layer.branches:
                found.extend(conv_layers(branch))
    return found


# --------------------------------------------------------------------------- comparisons

@dataclass(frozen=True)
class Agreement:
    """One quantity obtained several ways (formula, module, FLOP counter, published).

    Numbers agree when they lie within ``tolerance`` of each other (0: exactly equal);
    anything else (shapes) must be equal. A missing value (``None``) never agrees.
    """

    quantity: str
    values: Mapping[str, object]
    tolerance: float = 0.0

    @property
    def agrees(self) -> bool:
        vals = list(self.values.values())
        if any(v is None for v in vals):
            return False
        if all(isinstance(v, (int, float)) for v in vals):
            return max(vals) - min(vals) <= self.tolerance
        return all(v == vals[0] for v in vals)

    def describe(self) -> str:
        shown = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in self.values.items())
        return f"{self.quantity}: {shown}" + ("" if self.agrees else "  <-- MISMATCH")


def mismatches(agreements: Iterable[Agreement]) -> list[Agreement]:
    return [a for a in agreements if not a.agrees]


_PRODUCT = re.compile(r"^[\d*()\s]+$")


def evaluate_product(expression: str) -> int:
    """Value of a product such as the lab's ``(3*3*256)*512``; only digits, ``*`` and
    parentheses are accepted (the lab's cells hold nothing else), so no ``eval``."""
    if not _PRODUCT.match(expression):
        raise ValueError(f"not a product of whole numbers: {expression!r}")
    return math.prod(int(t) for t in expression.replace("(", "").replace(")", "").split("*"))


_ROUNDED = re.compile(r"^\s*([\d.,]+)\s*([KM]?)\s*$")


def parse_rounded(text: str) -> float:
    """``150K`` -> 150e3, ``3.2M`` -> 3.2e6, ``16,777,216`` -> 16777216."""
    match = _ROUNDED.match(text)
    if not match:
        raise ValueError(f"not a number with an optional K/M suffix: {text!r}")
    scale = {"": 1, "K": 1e3, "M": 1e6}[match.group(2)]
    return float(match.group(1).replace(",", "")) * scale


@dataclass(frozen=True)
class GivenCell:
    """A cell the lab's table already fills: ``expression = stated`` (``224*224*64=3.2M``),
    or just ``stated`` (``0``, ``4096``)."""

    row: int
    column: str  # "activations" or "weights"
    text: str

    def parts(self) -> tuple[str | None, str]:
        if "=" in self.text:
            expression, stated = self.text.split("=", 1)
            return expression.strip(), stated.strip()
        return None, self.text.strip()


def check_given_cells(rows: Sequence[LayerRow], cells: Iterable[GivenCell],
                      rounding: float = 0.01) -> list[Agreement]:
    """Compare the cells a lab table fills in against the computed rows.

    The expression in a cell must evaluate exactly to the computed count; the number
    stated after ``=`` must match it exactly when written in full, or within
    ``rounding`` (relative) when abbreviated with K or M (the lab writes 802,816 as 800K).
    """
    found: list[Agreement] = []
    for cell in cells:
        row = rows[cell.row]
        computed = getattr(row, cell.column)
        expression, stated = cell.parts()
        where = f"row {cell.row} ({row.label}) {cell.column}"
        if expression is not None:
            found.append(Agreement(f"{where}: lab's expression {expression}",
                                   {"lab": evaluate_product(expression), "computed": computed}))
        value = parse_rounded(stated)
        abbreviated = stated.rstrip()[-1:] in ("K", "M")
        found.append(Agreement(f"{where}: lab's stated {stated}", {"lab": value, "computed": computed},
                               tolerance=rounding * max(value, 1) if abbreviated else 0))
    return found


def check_stated_total(terms: Mapping[str, tuple[int, ...]], stated: float, precision: float) -> Agreement:
    """Does a stated total (``358M``) equal, to its stated ``precision``, the sum of the
    products it lists (``28x28x64x1x1x256`` ...)?"""
    total = sum(math.prod(t) for t in terms.values())
    return Agreement("stated total vs sum of its listed terms",
                     {"stated": float(stated), "sum of listed terms": float(total)},
                     tolerance=precision / 2)


def repeated_terms_matching(terms: Mapping[str, tuple[int, ...]], stated: float,
                            precision: float) -> list[str]:
    """Which listed term, counted twice, makes the sum match a stated total that the
    listed terms alone do not (a diagnosis of an arithmetic slip, not a proof of one)."""
    total = sum(math.prod(t) for t in terms.values())
    return [label for label, term in terms.items()
            if abs(total + math.prod(term) - stated) <= precision / 2]


def check_receptive_fields(measured: Mapping[tuple[int, int], int],
                           formula: Callable[[int, int], int] = stacked_receptive_field) -> list[Agreement]:
    """Compare measured receptive fields of N stacked FxF convolutions with ``formula(N, F)``."""
    return [Agreement(f"N={n}, F={f}", {"measured": size, "formula": formula(n, f)})
            for (n, f), size in sorted(measured.items())]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; integers get thousands separators."""
    def cell(v):
        text = f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)
        return text.replace("|", "/")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)
