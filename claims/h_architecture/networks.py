"""The networks topic H counts, each checked three ways (closed-form formulas, the torch
module built from the same layer table, published figures) by
``models.counting.check_network``."""
from __future__ import annotations

from models import alexnet, inception, vgg
from models.arithmetic import LayerRow, analyse
from models.counting import NetworkCheck, check_network

VGG19_PUBLISHED = {"params": vgg.PUBLISHED_PARAMS[vgg.VGG19], "weights": vgg.PUBLISHED_VGG19_WEIGHTS,
                   "activations": vgg.PUBLISHED_VGG19_ACTIVATIONS,
                   "multiplies": vgg.PUBLISHED_VGG19_MULTIPLY_ADDS_BILLIONS * 1e9}
VGG19_TOLERANCES = {"multiplies": 0.05e9}  # "19.6 billion" is rounded to 0.1 billion

# The inception example's two modules and its two inputs (the lab's and the lecture's).
INCEPTION_CONFIGS = {"naive": inception.LAB_NAIVE, "reduced": inception.LAB_REDUCED}
INCEPTION_INPUTS = {"lab": inception.LAB_INPUT, "lecture": inception.LECTURE_INPUT}


def alexnet_checks() -> dict[str, NetworkCheck]:
    return {v: check_network(f"AlexNet {v}", alexnet.alexnet_layers(v), alexnet.INPUT_SHAPES[v],
                             published={"params": alexnet.PUBLISHED_PARAMS[v]})
            for v in alexnet.VARIANTS}


def vgg_checks() -> dict[str, NetworkCheck]:
    """VGG19, whose table the lab asks for, is built and run on the CPU (real weights, a
    real forward pass). The others are built on the meta device: the same constructors
    and the same shape arithmetic, without allocating and initialising 130M+ weights
    each, which would double this claim's time on a 2-core CI machine
    (tests/test_arithmetic.py checks that meta and CPU modules count alike)."""
    checks = {}
    for config in vgg.VGG_CONFIGS:
        real = config == vgg.VGG19
        published = (VGG19_PUBLISHED if config == vgg.VGG19
                     else {"params": vgg.PUBLISHED_PARAMS[config]} if config in vgg.PUBLISHED_PARAMS else {})
        checks[config] = check_network(f"VGG-{config}", vgg.vgg_layers(config), vgg.IMAGE_SHAPE,
                                       published=published,
                                       tolerances=VGG19_TOLERANCES if config == vgg.VGG19 else None,
                                       device="cpu" if real else "meta")
    return checks


def inception_checks() -> dict[tuple[str, str], NetworkCheck]:
    """Both modules on both inputs, keyed (input, module): ("lab", "naive") and so on."""
    return {(where, version): check_network(f"{where} {version}", inception.inception_layers(config), shape)
            for where, shape in INCEPTION_INPUTS.items() for version, config in INCEPTION_CONFIGS.items()}


def inception_formula_rows(where: str, version: str) -> list[LayerRow]:
    """One inception module's per-layer counts by the closed forms alone: the
    ``formula_rows`` of its check, without building and running the module."""
    return analyse(inception.inception_layers(INCEPTION_CONFIGS[version]), INCEPTION_INPUTS[where])
