"""AlexNet in three variants, each a layer table that both the closed forms and the
torch module are built from.

- ``grouped``: the original two-GPU network of Krizhevsky, Sutskever & Hinton,
  "ImageNet Classification with Deep Convolutional Neural Networks", NIPS 2012, Sec. 3.5
  and Figure 2. Each GPU holds half the kernels; conv2, conv4 and conv5 see only the
  kernel maps on their own GPU (``groups=2``: 5x5x48, 3x3x192, 3x3x192 kernels), conv3
  and the fully connected layers see both halves. Padding is not stated in the paper;
  the values below (conv2: 2, conv3-5: 1) are the ones that give Figure 2's 27x27 and
  13x13 maps, as Caffe's ``bvlc_alexnet`` uses them. Local response normalisation
  follows conv1 and conv2, overlapping 3x3 stride-2 max pooling follows both of them
  and conv5, dropout the first two fully connected layers.
- ``single_tower``: the same layers with every convolution seeing all input channels
  (``groups=1``), as single-GPU re-implementations build it.
- ``torchvision``: ``torchvision.models.alexnet``, after Krizhevsky's "One weird trick
  for parallelizing convolutional neural networks" (2014): 64, 192, 384, 256, 256
  filters, no LRN, and an adaptive average pooling to 6x6 before the classifier.

Input size: the paper says 224x224, but an unpadded 11x11 stride-4 convolution maps
224 to 54, not Figure 2's 55; 227x227 gives 55 (a known inconsistency of the paper).
The two paper variants therefore take 227x227 inputs; torchvision pads conv1 by 2 and
takes 224x224. Parameter counts do not depend on the input size.

Published totals with biases, named by source:

- grouped 60,965,224: the count of the paper's grouped architecture (Caffe's
  ``bvlc_alexnet`` definition, ``group: 2`` on conv2, conv4, conv5); the paper itself
  says "60 million parameters" (Sec. 1 and 4);
- single tower 62,378,344: the same layers without grouping (the catalogue's figure);
- torchvision 61,100,840: ``AlexNet_Weights.IMAGENET1K_V1.meta["num_params"]``;

all three as the catalogue (CLAIMS.md, H1) states them.
"""
from __future__ import annotations

from torch import nn

from models.arithmetic import AdaptiveAvgPool, Conv, Flatten, Layer, Linear, MaxPool, Pointwise
from models.counting import instantiate

GROUPED, SINGLE_TOWER, TORCHVISION = "grouped", "single_tower", "torchvision"
VARIANTS = (GROUPED, SINGLE_TOWER, TORCHVISION)

PUBLISHED_PARAMS = {GROUPED: 60_965_224, SINGLE_TOWER: 62_378_344, TORCHVISION: 61_100_840}

INPUT_SHAPES = {GROUPED: (3, 227, 227), SINGLE_TOWER: (3, 227, 227), TORCHVISION: (3, 224, 224)}

# (name, out channels, kernel, stride, padding, groups in the two-GPU net, followed by)
# "followed by" lists the parameter-free layers after the convolution's ReLU.
_PAPER_CONVS = (
    ("conv1", 96, 11, 4, 0, 1, ("lrn", "pool")),
    ("conv2", 256, 5, 1, 2, 2, ("lrn", "pool")),
    ("conv3", 384, 3, 1, 1, 1, ()),
    ("conv4", 384, 3, 1, 1, 2, ()),
    ("conv5", 256, 3, 1, 1, 2, ("pool",)),
)
_TORCHVISION_CONVS = (
    ("conv1", 64, 11, 4, 2, 1, ("pool",)),
    ("conv2", 192, 5, 1, 2, 1, ("pool",)),
    ("conv3", 384, 3, 1, 1, 1, ()),
    ("conv4", 256, 3, 1, 1, 1, ()),
    ("conv5", 256, 3, 1, 1, 1, ("pool",)),
)


def alexnet_layers(variant: str, num_classes: int = 1000) -> list[Layer]:
    """The layer table of an AlexNet variant (one of :data:`VARIANTS`)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown AlexNet variant {variant!r}; accepted: {', '.join(VARIANTS)}")
    convs = _TORCHVISION_CONVS if variant == TORCHVISION else _PAPER_CONVS
    layers: list[Layer] = []
    channels, pools = 3, 0
    for name, width, kernel, stride, padding, groups, after in convs:
        layers += [Conv(name, channels, width, kernel, stride=stride, padding=padding,
                        groups=groups if variant == GROUPED else 1),
                   Pointwise("relu", f"relu_{name}")]
        for extra in after:
            if extra == "lrn":
                layers.append(Pointwise("lrn", f"norm_{name}"))
            else:
                pools += 1
                layers.append(MaxPool(f"pool{pools}", 3, 2))
        channels = width
    if variant == TORCHVISION:
        layers.append(AdaptiveAvgPool("avgpool", (6, 6)))
    layers += [Flatten("flatten"),
               Pointwise("dropout", "drop6"), Linear("fc6", channels * 6 * 6, 4096), Pointwise("relu", "relu6"),
               Pointwise("dropout", "drop7"), Linear("fc7", 4096, 4096), Pointwise("relu", "relu7"),
               Linear("fc8", 4096, num_classes)]
    return layers


def build_alexnet(variant: str, num_classes: int = 1000, device: str = "cpu") -> nn.Sequential:
    """The torch module of an AlexNet variant, built from the same table."""
    return instantiate(alexnet_layers(variant, num_classes), device)
