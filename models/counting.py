"""Counting from instantiated torch modules, and the three-way checks the H claims use.

:func:`instantiate` turns a layer table (``models.arithmetic``) into a real
``torch.nn`` module. Counts are then read off that module, independently of the
closed forms:

- parameters: ``numel`` of the module's parameters;
- activations and output shapes: forward hooks on every convolution, pooling and
  fully connected layer record what the layer actually outputs;
- multiplies: the hooks multiply each layer's measured output size by the number of
  weights one output value uses (read from the module's own attributes), and PyTorch's
  own :class:`torch.utils.flop_counter.FlopCounterMode`, watching the same forward
  pass, counts them a second way (it reports FLOPs = 2 x multiply-accumulates for
  convolutions and matrix products);
- receptive fields: which input pixels get a nonzero gradient from one output pixel.

:func:`check_network` puts the closed forms, the module counts and any published
figure side by side as :class:`~models.arithmetic.Agreement` records; the claims and
their negative controls call the same function.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from models.arithmetic import (STANDARD, AdaptiveAvgPool, Agreement, Conv, Flatten, Formulas, Layer,
                               LayerRow, Linear, MaxPool, Parallel, Pointwise, analyse, mismatches,
                               output_shape, totals)

# AlexNet's local response normalisation constants (Krizhevsky et al. 2012, Sec. 3.3).
LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K = 5, 1e-4, 0.75, 2.0


# --------------------------------------------------------------------------- building

class ParallelConcat(nn.Module):
    """Runs each branch on the same input and concatenates the outputs along channels.

    Branches are registered directly under their names, so a layer's qualified name is
    ``<module>.<branch>.<layer>``, the same name the closed-form walk gives it.
    """

    def __init__(self, branches: Mapping[str, nn.Module]):
        super().__init__()
        for name, branch in branches.items():
            self.add_module(name, branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.children()], dim=1)


def _module(layer: Layer) -> nn.Module:
    if isinstance(layer, Conv):
        return nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel, stride=layer.stride,
                         padding=layer.padding, dilation=layer.dilation, groups=layer.groups,
                         bias=layer.bias)
    if isinstance(layer, MaxPool):
        return nn.MaxPool2d(layer.kernel, stride=layer.stride, padding=layer.padding)
    if isinstance(layer, AdaptiveAvgPool):
        return nn.AdaptiveAvgPool2d(layer.output)
    if isinstance(layer, Linear):
        return nn.Linear(layer.in_features, layer.out_features, bias=layer.bias)
    if isinstance(layer, Flatten):
        return nn.Flatten()
    if isinstance(layer, Pointwise):
        if layer.kind == "relu":
            return nn.ReLU(inplace=True)
        if layer.kind == "lrn":
            return nn.LocalResponseNorm(LRN_SIZE, alpha=LRN_ALPHA, beta=LRN_BETA, k=LRN_K)
        if layer.kind == "dropout":
            return nn.Dropout(0.5)
        raise ValueError(f"unknown pointwise layer kind {layer.kind!r}; accepted: relu, lrn, dropout")
    if isinstance(layer, Parallel):
        return ParallelConcat({name: instantiate(branch) for name, branch in layer.branches})
    raise TypeError(f"unknown layer specification {layer!r}")


def instantiate(layers: Sequence[Layer], device: str | torch.device = "cpu") -> nn.Sequential:
    """The torch module a layer table describes. Unnamed layers (ReLU, flatten) get
    ``<kind><index>`` names; ``device="meta"`` builds shapes without allocating weights."""
    named: dict[str, nn.Module] = {}
    with torch.device(device):
        for index, layer in enumerate(layers):
            name = layer.name or f"{getattr(layer, 'kind', type(layer).__name__.lower())}{index}"
            if name in named:
                raise ValueError(f"two layers of the table are named {name!r}")
            named[name] = _module(layer)
    return nn.Sequential(OrderedDict(named))


# --------------------------------------------------------------------------- counting

_KINDS = ((nn.Conv2d, "conv"), (nn.Linear, "linear"),
          ((nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d), "pool"))


def _kind(module: nn.Module) -> str | None:
    for types, kind in _KINDS:
        if isinstance(module, types):
            return kind
    return None


@dataclass(frozen=True)
class TracedLayer:
    """What one layer of an instantiated module holds and did during a forward pass."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    activations: int
    weights: int
    biases: int
    multiplies: int


@dataclass(frozen=True)
class Trace:
    """One forward pass of an instantiated module: its counted layers (input first), the
    shape it output, and PyTorch's FLOP counter's multiplies for the same pass."""

    layers: list[TracedLayer]
    output_shape: tuple[int, ...]
    flop_counter_multiplies: int


def trace(model: nn.Module, input_shape: tuple[int, ...], device: str | torch.device = "cpu",
          batch: int = 1) -> Trace:
    """Run one forward pass and record, per counted layer, its output and its cost.

    The first record is the input itself (it is held in memory too, and the lab's VGG
    table counts it). Multiplies per output value are the weights one output value
    uses: ``(in_channels / groups) * kh * kw`` for a convolution, ``in_features`` for a
    linear layer. The same pass runs under :class:`FlopCounterMode`, which reports 2
    FLOPs per multiply-accumulate of convolutions and matrix products and nothing for
    pooling, ReLU or LRN; its total halved is the second count of multiplies.
    """
    records: list[TracedLayer] = [TracedLayer("input", "input", tuple(input_shape),
                                              math.prod(input_shape), 0, 0, 0)]

    def recorder(name: str, kind: str):
        def hook(module, inputs, output):
            per_image = tuple(output.shape[1:])
            values = output.numel() // output.shape[0]
            if kind == "conv":
                per_value = (module.in_channels // module.groups) * math.prod(module.kernel_size)
            elif kind == "linear":
                per_value = module.in_features
            else:
                per_value = 0  # pooling compares, it does not multiply
            weight = getattr(module, "weight", None)
            bias = getattr(module, "bias", None)
            records.append(TracedLayer(name, kind, per_image, values,
                                       0 if weight is None else weight.numel(),
                                       0 if bias is None else bias.numel(),
                                       values * per_value))
        return hook

    handles = [m.register_forward_hook(recorder(name, _kind(m)))
               for name, m in model.named_modules() if _kind(m) is not None]
    counter = FlopCounterMode(display=False)
    try:
        with torch.no_grad(), counter:
            output = model(_example_input(model, input_shape, device, batch))
    finally:
        for handle in handles:
            handle.remove()
    flops = counter.get_total_flops()
    if flops % (2 * batch):
        raise ArithmeticError(f"FLOP counter total {flops} is not 2 x batch x an integer")
    return Trace(records, tuple(output.shape[1:]), flops // (2 * batch))


def _example_input(model: nn.Module, input_shape, device, batch) -> torch.Tensor:
    first = next(model.parameters(), None)
    dtype = first.dtype if first is not None else torch.float32
    # A positive input keeps every value defined; the counts do not depend on it.
    return torch.rand((batch, *input_shape), device=device, dtype=dtype) if str(device) != "meta" \
        else torch.empty((batch, *input_shape), device="meta", dtype=dtype)


def parameter_numel(model: nn.Module) -> dict[str, int]:
    """Total, weight and bias parameter counts read from the module (``numel``)."""
    counts = {"params": 0, "weights": 0, "biases": 0}
    for name, p in model.named_parameters():
        counts["params"] += p.numel()
        counts["biases" if name.endswith("bias") else "weights"] += p.numel()
    return counts


# --------------------------------------------------------------------------- three-way checks

QUANTITIES = ("params", "weights", "biases", "activations", "multiplies")


@dataclass
class NetworkCheck:
    """Closed forms, module counts and published figures for one network: ``totals`` has
    one agreement per quantity of :data:`QUANTITIES` plus ``output_shape``; ``layers``
    compares every counted layer, formula against module."""

    name: str
    input_shape: tuple[int, ...]
    formula_rows: list[LayerRow]
    module_rows: list[TracedLayer]
    totals: dict[str, Agreement]
    layers: list[Agreement] = field(default_factory=list)

    @property
    def layer_mismatches(self) -> list[Agreement]:
        return mismatches(self.layers)

    @property
    def mismatches(self) -> list[Agreement]:
        return mismatches(list(self.totals.values()) + self.layers)

    def row(self, name: str) -> LayerRow:
        return next(r for r in self.formula_rows if r.name == name)

    def summary(self) -> str:
        return "\n".join(a.describe() for a in list(self.totals.values()) + self.layer_mismatches)


def check_network(name: str, layers: Sequence[Layer], input_shape: tuple[int, ...],
                  published: Mapping[str, float] | None = None,
                  tolerances: Mapping[str, float] | None = None,
                  formulas: Formulas = STANDARD, device: str | torch.device = "cpu") -> NetworkCheck:
    """Count one table three ways: closed forms (``formulas``), the module built from the
    same table (numel, forward hooks, FLOP counter) and ``published`` figures (keys from
    :data:`QUANTITIES`; ``tolerances`` for figures published rounded).

    ``device="meta"`` builds and runs the module on shapes only: the same construction
    and shape arithmetic as on the CPU, without allocating or computing values.
    """
    published = dict(published or {})
    tolerances = dict(tolerances or {})
    unknown = set(published) - set(QUANTITIES)
    if unknown:
        raise ValueError(f"unknown published quantities {sorted(unknown)}; accepted: {QUANTITIES}")
    formula_rows = analyse(layers, input_shape, formulas)
    model = instantiate(layers, device)
    traced = trace(model, input_shape, device)
    module_rows = traced.layers
    numel = parameter_numel(model)

    by_formula = totals(formula_rows)
    module_totals = {
        "params": numel["params"], "weights": numel["weights"], "biases": numel["biases"],
        # The module holds every counted layer's output and its input: its own rule,
        # independent of which kinds the formulas declare stored.
        "activations": sum(r.activations for r in module_rows),
        "multiplies": sum(r.multiplies for r in module_rows),
    }
    agreements: dict[str, Agreement] = {
        "output_shape": Agreement(f"{name} output shape",
                                  {"formula": output_shape(layers, input_shape, formulas),
                                   "module": traced.output_shape})}
    for quantity in QUANTITIES:
        values = {"formula": getattr(by_formula, quantity), "module": module_totals[quantity]}
        if quantity == "multiplies":
            values["FLOP counter"] = traced.flop_counter_multiplies
        if quantity in published:
            values["published"] = published[quantity]
        agreements[quantity] = Agreement(f"{name} {quantity}", values, tolerances.get(quantity, 0))
    return NetworkCheck(name, tuple(input_shape), formula_rows, module_rows, agreements,
                        compare_layers(formula_rows, module_rows))


def compare_layers(formula_rows: Sequence[LayerRow], module_rows: Sequence[TracedLayer]) -> list[Agreement]:
    """Per layer: output shape, weights, biases, stored activations and multiplies, formula
    against module. A layer present on one side only shows up as a mismatch."""
    by_module = {r.name: r for r in module_rows}
    by_formula = {r.name: r for r in formula_rows}
    found: list[Agreement] = []
    for name in list(by_formula) + [n for n in by_module if n not in by_formula]:
        f, m = by_formula.get(name), by_module.get(name)
        for quantity in ("output_shape", "weights", "biases", "activations", "multiplies"):
            fv = None if f is None else getattr(f, quantity)
            mv = None if m is None else getattr(m, quantity)
            found.append(Agreement(f"{name} {quantity}", {"formula": fv, "module": mv}))
    return found


# --------------------------------------------------------------------------- receptive fields

@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels one output pixel depends on, measured through the gradient."""

    height: int
    width: int
    dense: bool          # every pixel inside the bounding box gets a nonzero gradient
    mask: torch.Tensor   # (H, W) boolean: nonzero gradient

    @property
    def size(self) -> int:
        if self.height != self.width:
            raise ValueError(f"receptive field is {self.height}x{self.width}, not square")
        return self.height


def conv_stack(n_layers: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[Layer]:
    """A table of ``n_layers`` single-channel convolutions (no padding, no bias), each
    followed by a ReLU, as in a real network."""
    layers: list[Layer] = []
    for i in range(n_layers):
        layers += [Conv(f"conv{i + 1}", 1, 1, kernel, stride=stride, dilation=dilation, bias=False),
                   Pointwise("relu", f"relu{i + 1}")]
    return layers


def measure_receptive_field(n_layers: int, kernel: int, stride: int = 1, dilation: int = 1,
                            seed: int = 0) -> ReceptiveField:
    """Build a real stack, back-propagate from its centre output pixel and find the input
    pixels with a nonzero gradient.

    Weights are drawn positive and the input is positive, so every ReLU is active and no
    path's contribution can cancel another's: a pixel gets a zero gradient only if no
    path connects it to the output pixel. The input is made wider than any such stack
    could see (``n * kernel * dilation * stride**(n-1) + 2`` pixels), so the measurement is
    not bounded by the input, and uses no receptive-field formula.
    """
    size = n_layers * kernel * dilation * stride ** (n_layers - 1) + 2
    generator = torch.Generator().manual_seed(seed)
    model = instantiate(conv_stack(n_layers, kernel, stride, dilation)).double()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                module.weight.copy_(0.5 + torch.rand(module.weight.shape, generator=generator,
                                                     dtype=torch.float64))
    x = (0.5 + torch.rand((1, 1, size, size), generator=generator, dtype=torch.float64)).requires_grad_()
    y = model(x)
    _, _, out_h, out_w = y.shape
    y[0, 0, out_h // 2, out_w // 2].backward()
    mask = x.grad[0, 0] != 0
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    height = int(rows.max() - rows.min() + 1)
    width = int(cols.max() - cols.min() + 1)
    return ReceptiveField(height, width, bool(mask.sum() == height * width), mask)
