"""VGG networks built from the configuration table of Simonyan & Zisserman (2015).

Source: K. Simonyan, A. Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015 (arXiv:1409.1556), Table 1 (configurations A-E) and
Table 2 (parameter counts in millions). Every 3x3 convolution has stride 1 and padding
1 and is followed by a ReLU; every max pooling is 2x2 with stride 2; three fully
connected layers (4096, 4096, 1000) follow, the first two with ReLU and dropout.
Configuration C has three 1x1 convolutions (``(width, 1)`` entries below). The
A-LRN variant (A with local response normalisation) has A's counts and is omitted.

The table below is the single description of each network: :func:`vgg_layers` turns
it into a layer table that both the closed forms (``models.arithmetic``) and
:func:`build_vgg` (``models.counting.instantiate``) read.
"""
from __future__ import annotations

from torch import nn

from models.arithmetic import Conv, Flatten, GivenCell, Layer, Linear, MaxPool, Pointwise
from models.counting import instantiate

POOL = "M"

# Table 1 of the paper, one list per configuration: an int is a 3x3 convolution of that
# width, (width, kernel) a convolution with another kernel, "M" a 2x2 max pooling.
VGG_CONFIGS: dict[str, list[int | tuple[int, int] | str]] = {
    "A": [64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    "B": [64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    "C": [64, 64, POOL, 128, 128, POOL, 256, 256, (256, 1), POOL, 512, 512, (512, 1), POOL,
          512, 512, (512, 1), POOL],
    "D": [64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL,
          512, 512, 512, POOL],
    "E": [64, 64, POOL, 128, 128, POOL, 256, 256, 256, 256, POOL, 512, 512, 512, 512, POOL,
          512, 512, 512, 512, POOL],
}
VGG16, VGG19 = "D", "E"
IMAGE_SHAPE = (3, 224, 224)

# Parameter counts with biases, as torchvision publishes them for its VGG16 and VGG19
# (``VGG16_Weights.IMAGENET1K_V1.meta["num_params"]`` and the VGG19 counterpart), whose
# layers are the paper's. The catalogue (CLAIMS.md, H2) states the same figures.
PUBLISHED_PARAMS = {VGG16: 138_357_544, VGG19: 143_667_240}

# The lab's (lab 004, Problem 5.2) VGG19 totals as the catalogue (CLAIMS.md, H2) states
# them: weights without biases, and activations per image counting the input and every
# convolution, pooling and fully connected output.
PUBLISHED_VGG19_WEIGHTS = 143_652_544
PUBLISHED_VGG19_ACTIVATIONS = 16_542_184

# Table 2 of the paper: "Number of parameters (in millions)", rounded to the million.
PAPER_TABLE2_MILLIONS = {"A": 133, "B": 133, "C": 134, "D": 138, "E": 144}

# VGG19's complexity as He et al. ("Deep Residual Learning for Image Recognition",
# CVPR 2016, Sec. 3.3) state it: "VGG-19 (19.6 billion FLOPs)", where their FLOPs are
# multiply-adds ("3.6 billion FLOPs (multiply-adds)" for their 34-layer net).
PUBLISHED_VGG19_MULTIPLY_ADDS_BILLIONS = 19.6

# The cells the lab's Table 1 ("VGG19 memory and weights", lab 004 Problem 5.2) already
# fills in, transcribed verbatim; rows are numbered as in the table (0 = Input,
# 1 = the first CONV3-64, ..., 24 = the last FC).
LAB_TABLE1_GIVEN: tuple[GivenCell, ...] = (
    GivenCell(0, "activations", "224*224*3=150K"), GivenCell(0, "weights", "0"),
    GivenCell(1, "activations", "224*224*64=3.2M"), GivenCell(1, "weights", "(3*3*3)*64 = 1,728"),
    GivenCell(2, "activations", "224*224*64=3.2M"), GivenCell(2, "weights", "(3*3*64)*64 = 36,864"),
    GivenCell(3, "activations", "112*112*64=800K"), GivenCell(3, "weights", "0"),
    GivenCell(6, "activations", "56*56*128=400K"), GivenCell(6, "weights", "0"),
    GivenCell(8, "activations", "56*56*256=800K"), GivenCell(8, "weights", "(3*3*256)*256 = 589,824"),
    GivenCell(11, "weights", "0"),
    GivenCell(12, "activations", "28*28*512=400K"), GivenCell(12, "weights", "(3*3*256)*512 = 1,179,648"),
    GivenCell(14, "activations", "28*28*512=400K"),
    GivenCell(16, "weights", "0"),
    GivenCell(21, "weights", "0"),
    GivenCell(22, "activations", "4096"),
    GivenCell(23, "activations", "4096"), GivenCell(23, "weights", "4096*4096 = 16,777,216"),
    GivenCell(24, "activations", "1000"),
)


def vgg_layers(config: str | list, num_classes: int = 1000, image_size: int = 224) -> list[Layer]:
    """The layer table of a VGG configuration (a key of :data:`VGG_CONFIGS` or a list in
    the same format), named as the Caffe release names them (conv1_1, pool1, fc6)."""
    entries = VGG_CONFIGS[config] if isinstance(config, str) else config
    layers: list[Layer] = []
    channels, size, block, index = 3, image_size, 1, 1
    for entry in entries:
        if entry == POOL:
            layers.append(MaxPool(f"pool{block}", 2, 2))
            block, index, size = block + 1, 1, size // 2
            continue
        width, kernel = (entry, 3) if isinstance(entry, int) else entry
        layers += [Conv(f"conv{block}_{index}", channels, width, kernel, padding=kernel // 2),
                   Pointwise("relu", f"relu{block}_{index}")]
        channels, index = width, index + 1
    features = channels * size * size
    layers += [Flatten("flatten"),
               Linear("fc6", features, 4096), Pointwise("relu", "relu6"), Pointwise("dropout", "drop6"),
               Linear("fc7", 4096, 4096), Pointwise("relu", "relu7"), Pointwise("dropout", "drop7"),
               Linear("fc8", 4096, num_classes)]
    return layers


def build_vgg(config: str | list, num_classes: int = 1000, image_size: int = 224,
              device: str = "cpu") -> nn.Sequential:
    """The torch module of a VGG configuration, built from the same table."""
    return instantiate(vgg_layers(config, num_classes, image_size), device)
