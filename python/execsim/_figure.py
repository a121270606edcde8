"""Figures as PNG bytes, shown inline by notebooks (``_repr_png_``) and saved as files."""

from __future__ import annotations

import os
from typing import Union


class Figure:
    """A PNG image drawn by the simulator's plotting code.

    A notebook shows it inline (IPython calls :meth:`_repr_png_`); :meth:`save` writes it;
    :attr:`png` is the file's bytes.
    """

    __slots__ = ("png", "title")

    def __init__(self, png: bytes, title: str) -> None:
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("figure: not PNG data")
        self.png = bytes(png)
        self.title = title

    def _repr_png_(self) -> bytes:
        return self.png

    def save(self, path: Union[str, os.PathLike]) -> str:
        """Writes the PNG to ``path`` (its folder is made if needed); returns the path."""
        path = os.fspath(path)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as f:
            f.write(self.png)
        return path

    @property
    def size(self) -> tuple:
        """Width and height in pixels (from the PNG header)."""
        return int.from_bytes(self.png[16:20], "big"), int.from_bytes(self.png[20:24], "big")

    def __repr__(self) -> str:
        w, h = self.size
        return f"Figure({self.title!r}, {w}x{h} PNG, {len(self.png)} bytes)"
