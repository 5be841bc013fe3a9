"""A footer that wraps instead of clipping: every shown binding stays visible at 80 columns.

Textual's Footer is one row that scrolls sideways, so at 80 columns half the
desk's actions fall off the edge. This one lays the same bindings (the
screen's active bindings, after the handler's keymap) over as many rows as
the width needs, and redraws only when the bindings change. It keeps the most
rows it has needed at this width: opening the search box (fewer bindings) and
closing it again would otherwise move every pane's bottom edge twice, and lay
out and repaint the whole screen each time.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from deskapp.tui.text import line


class DeskFooter(Widget):
    DEFAULT_CSS = """
    DeskFooter {
        dock: bottom;
        height: auto;
        background: $panel;
        color: $foreground;
    }
    """

    _drawn: list[tuple[str, str, bool]] | None = None  # the items last laid out
    _tallest: tuple[int, int] = (0, 0)  # (width, the most rows needed at that width)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        """Redraw when what the footer shows changed; lay the screen out again only if its height did.

        Bindings change with every move of the focus (a search submitted, a pane
        changed); a layout repaints the whole screen, in the same moments the
        desk is reading the new rows.
        """
        if not (self.is_attached and screen is self.screen):
            return
        items = self.items()
        if items == self._drawn:
            return
        height = self._height(self.size.width or 80, items)
        self.refresh(layout=height != self.size.height or self._drawn is None)

    def items(self) -> list[tuple[str, str, bool]]:
        """(key shown, description, enabled) for each binding shown in the footer, one per action."""
        seen: set[str] = set()
        out = []
        # A screen may list a binding that is normally left out, where it applies now (MainScreen:
        # approvals, dashboard, new case, edit party): `in_footer(action)` says so.
        applies = getattr(self.screen, "in_footer", None)
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.action in seen:
                continue
            if not binding.show and not (applies is not None and applies(binding.action)):
                continue
            seen.add(binding.action)
            out.append((self.app.get_key_display(binding), binding.description, enabled))
        return out

    def _rows(self, width: int, items: list[tuple[str, str, bool]] | None = None) -> list[Content]:
        rows: list[Content] = []
        current = Content("")
        for key, description, enabled in self.items() if items is None else items:
            piece = line((f" {key} ", "bold $footer-key-foreground" if enabled else "$text-disabled"),
                         (description, "" if enabled else "$text-disabled"), " ")
            if current.cell_length and current.cell_length + piece.cell_length > width:
                rows.append(current)
                current = Content("")
            current = current + piece
        if current.cell_length or not rows:
            rows.append(current)
        return rows

    def _height(self, width: int, items: list[tuple[str, str, bool]] | None = None) -> int:
        """Rows for `items` at `width`, but never fewer than already needed at that width."""
        needed = len(self._rows(width, items))
        seen_width, tallest = self._tallest
        return max(needed, tallest) if seen_width == width else needed

    def get_content_height(self, container, viewport, width: int) -> int:
        height = self._height(width)
        self._tallest = (width, height)
        return height

    def render(self) -> Content:
        self._drawn = self.items()
        return Content("\n").join(self._rows(self.size.width or 80, self._drawn))
