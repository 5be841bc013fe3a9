"""Scroll views whose scrollbar is repainted only when it really changes.

After any layout anywhere on the screen (a pane's tab strip updated, another
pane's scrollbar coming or going), Textual hands every scroll view its
viewport as `virtual_size`, which differs from the real scroll range whenever
there is something to scroll, so it repaints every scrollbar on the screen:
~1 KB each at 256 colours, for cells that did not change. Over SSH that was
most of the bytes of some cursor moves.
"""

from __future__ import annotations

from typing import Optional

from textual.geometry import Size


class QuietScrollbar:
    """Mix into a ScrollView (before it): `_size_updated` passes the scroll range on only when it changed."""

    _range_on_scrollbar: Optional[Size] = None  # the virtual size the scrollbar was last given

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        changed = self.virtual_size != self._range_on_scrollbar  # type: ignore[attr-defined]
        self._range_on_scrollbar = self.virtual_size  # type: ignore[attr-defined]
        return super()._size_updated(  # type: ignore[misc]
            size, virtual_size if changed else self.virtual_size, container_size, layout)  # type: ignore[attr-defined]


__all__ = ["QuietScrollbar"]
