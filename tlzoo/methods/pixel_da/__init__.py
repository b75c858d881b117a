"""Pixel-level domain adaptation: translate labelled source images into the target domain's style (PixelDA)."""

from tlzoo.methods.pixel_da.pixelda import PixelDA

__all__ = ["PixelDA"]
