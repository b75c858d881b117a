"""Image classifiers of the "classifier ladder", as plain ``nn.Module``s mapping images to class logits.

* :class:`LinearNet`: one affine map of the flattened pixels (multinomial logistic regression).
* :class:`MLPNet`: fully connected ReLU layers over the flattened pixels.
* :class:`LeNet5`: LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document
  Recognition", Proc. IEEE 1998 (http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf), Sec. II.B.
* :class:`CifarResNet`: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
  (https://arxiv.org/abs/1512.03385), Sec. 4.2 (the CIFAR-10 networks: ResNet-20/32/44/56/110).

Every network takes the input shape ``(C, H, W)`` and the number of classes; the LightningModules of
:mod:`tlzoo.methods.basics` wrap them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.errors import TLZooError


def _flat_dim(shape: Sequence[int]) -> int:
    out = 1
    for s in shape:
        out *= int(s)
    return out


class LinearNet(nn.Module):
    """``logits = W x + b`` on the flattened image: one template ``W_k`` (an image) per class."""

    def __init__(self, input_shape: Sequence[int], num_classes: int) -> None:
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.fc = nn.Linear(_flat_dim(self.input_shape), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(x, 1))

    def templates(self) -> torch.Tensor:
        """The class templates ``W_k`` as images, ``(K, C, H, W)``."""
        return self.fc.weight.detach().reshape(-1, *self.input_shape)


class MLPNet(nn.Module):
    """``Linear-ReLU(-Dropout)`` layers of widths ``hidden`` over the flattened image, then a linear layer."""

    def __init__(self, input_shape: Sequence[int], num_classes: int, hidden: Sequence[int] = (256, 256),
                 dropout: float = 0.0) -> None:
        super().__init__()
        if not hidden:
            raise TLZooError("MLP needs at least one hidden layer (--model.init_args.hidden); use "
                             "LinearClassifier for none")
        layers: list[nn.Module] = [nn.Flatten()]
        width = _flat_dim(input_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998, Fig. 2): C1 conv 5x5x6 - S2 2x2 subsampling - C3 conv 5x5x16 - S4 -
    C5 120 - F6 84 - output.

    The paper's input is 32x32 (the 28x28 MNIST digit centred in a 32x32 field); here C1 pads 2 pixels,
    which gives the same geometry for 28x28 inputs (28 -> 28 -> 14 -> 10 -> 5). C5 is a fully connected
    layer over the S4 maps (a 5x5 convolution on a 5x5 map in the paper).

    Code vs. paper: ``activation="tanh"`` is the paper's squashing ``A tanh(S a)`` without the scale
    constants; ``pooling="avg"`` is the subsampling layer without its trainable coefficient and bias.
    Deviations: C3 connects to all six S2 maps (the paper's Table I connects each C3 map to a subset);
    the output layer is linear with a softmax cross-entropy, not the paper's Euclidean RBF units with the
    MAP criterion.
    """

    def __init__(self, input_shape: Sequence[int], num_classes: int, activation: Literal["tanh", "relu"] = "tanh",
                 pooling: Literal["avg", "max"] = "avg") -> None:
        super().__init__()
        if len(input_shape) != 3 or min(input_shape[1:]) < 16:
            raise TLZooError(f"LeNet5 needs images (C, H, W) of at least 16x16, got {tuple(input_shape)}")
        act: type[nn.Module] = nn.Tanh if activation == "tanh" else nn.ReLU
        pool: type[nn.Module] = nn.AvgPool2d if pooling == "avg" else nn.MaxPool2d
        self.features = nn.Sequential(
            nn.Conv2d(input_shape[0], 6, 5, padding=2), act(), pool(2),  # C1, S2
            nn.Conv2d(6, 16, 5), act(), pool(2),  # C3, S4
            nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.features(torch.zeros(1, *input_shape)).shape[1]
        self.classifier = nn.Sequential(nn.Linear(flat, 120), act(), nn.Linear(120, 84), act(),  # C5, F6
                                        nn.Linear(84, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity shortcut (He et al. 2016, Fig. 2). When the block halves the
    resolution and doubles the width, the shortcut is option A (Sec. 4.2, CIFAR): the input subsampled by 2
    and zero-padded to the new width, parameter-free."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.stride = stride
        self.pad = c_out - c_in

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.pad > 0:
            x = F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """The CIFAR-10 ResNet of He et al. 2016, Sec. 4.2: a 3x3 conv with 16 filters, three stages of ``n``
    :class:`BasicBlock` s with 16, 32, 64 filters on 32x32, 16x16, 8x8 maps (stride 2 at the first block of
    stages 2 and 3), global average pooling and a ``num_classes``-way fully connected layer:
    ``depth = 6 n + 2`` weighted layers (20, 32, 44, 56, 110 in the paper).

    Code vs. paper: ``depth`` = 6n+2; ``width`` = 16 (the first stage's filters). Weights use He (Kaiming)
    normal initialisation, as the paper cites ([13]).
    """

    def __init__(self, input_shape: Sequence[int], num_classes: int, depth: int = 20, width: int = 16) -> None:
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise TLZooError(f"CIFAR ResNet depth must be 6n + 2 (20, 32, 44, 56, 110), got {depth} "
                             "(--model.init_args.depth)")
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True))
        blocks: list[nn.Module] = []
        c_in = width
        for stage in range(3):
            c_out = width * 2**stage
            for i in range(n):
                blocks.append(BasicBlock(c_in, c_out, 2 if stage > 0 and i == 0 else 1))
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c_in, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))
