"""The `?` help screen: every key binding with its id and the key it is on *now*.

Generated from the live bindings (after the handler's keymap is applied), never
hand-written, so it cannot go stale when a binding is added or remapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from deskapp.tui.bindings import scroll_bindings
from deskapp.tui.text import line
from deskapp.tui.textual_compat import app_keymap, declared_bindings, node_bindings


@dataclass(frozen=True)
class HelpRow:
    keys: str  # as displayed, e.g. "c" or "ctrl+t"
    binding_id: str  # "" when the binding has no id (cannot be remapped)
    description: str


def current_keys(app: App, binding: Binding, default_keys: str | None = None) -> str:
    """The key(s) a binding is on after the keymap, formatted for display.

    `default_keys` lists every key the binding id has by default (one Binding per key
    after Textual splits "escape,q"); the keymap replaces them all.
    """
    keys = default_keys or binding.key
    keymap = app_keymap(app)
    if binding.id and binding.id in keymap:
        keys = keymap[binding.id]
    shown = []
    for key in keys.split(","):
        key = key.strip()
        if key:
            shown.append(app.get_key_display(Binding(key, "", key_display=None)))
    return ", ".join(dict.fromkeys(shown))


def _rows(app: App, bindings: Iterable[Binding]) -> list[HelpRow]:
    grouped: dict[str, list[Binding]] = {}
    for binding in bindings:
        description = binding.tooltip or binding.description
        if not description or binding.system:
            continue
        grouped.setdefault(binding.id or f"{binding.action}:{description}", []).append(binding)
    rows = []
    for group in grouped.values():
        first = group[0]
        all_keys = ",".join(dict.fromkeys(b.key for b in group))
        rows.append(HelpRow(current_keys(app, first, all_keys), first.id or "", first.tooltip or first.description))
    # Remappable bindings (with ids) first: the desk's in the order of its binding table, others as declared.
    order = _table_order()
    return sorted(rows, key=lambda row: (not row.binding_id, order.get(row.binding_id, len(order))))


def _table_order() -> dict[str, int]:
    from deskapp.tui.bindings import NAVIGATION, action_bindings, app_bindings

    return {b.id: i for i, b in enumerate([*action_bindings(), *NAVIGATION, *app_bindings()]) if b.id}


def section_title(cls: type) -> str:
    """A widget's BINDING_GROUP_TITLE, else its class name in words ("QueueView" -> "Queue view")."""
    if cls.BINDING_GROUP_TITLE:
        return cls.BINDING_GROUP_TITLE
    return re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).capitalize()


def _bindings_of(node_or_class) -> list[Binding]:
    merged = declared_bindings(node_or_class) if isinstance(node_or_class, type) else node_bindings(node_or_class)
    seen: list[Binding] = []
    for bindings in merged.key_to_bindings.values():
        for binding in bindings:
            if binding not in seen:
                seen.append(binding)
    return seen


def binding_catalogue(app: App, screen: Screen, extra: Iterable[type[DOMNode]] = ()) -> list[tuple[str, list[HelpRow]]]:
    """Sections of help rows: the screen, each pane widget class on it, extra screens, the app."""
    sections: list[tuple[str, list[HelpRow]]] = []
    sections.append((screen.BINDING_GROUP_TITLE or "Desk", _rows(app, _bindings_of(screen))))
    seen_classes: set[type] = set()
    for widget in screen.walk_children():
        cls = type(widget)
        if cls in seen_classes:
            continue
        seen_classes.add(cls)
        # Our own widgets that declare keys: Textual's built-ins (Input, Footer...) document themselves.
        if not cls.__module__.startswith("deskapp.") or "BINDINGS" not in cls.__dict__:
            continue
        rows = _rows(app, _bindings_of(widget))
        if rows:
            sections.append((section_title(cls), rows))
    for cls in extra:
        rows = _rows(app, _bindings_of(cls))
        if rows:
            sections.append((section_title(cls), rows))
    sections.append(("App", _rows(app, _bindings_of(app))))
    return [(title, rows) for title, rows in sections if rows]


def render_catalogue(sections: list[tuple[str, list[HelpRow]]], width: int) -> Content:
    key_width = max((len(r.keys) for _t, rows in sections for r in rows), default=4) + 2
    id_width = max((len(r.binding_id) for _t, rows in sections for r in rows), default=4) + 2
    show_ids = width >= key_width + id_width + 30
    lines: list[Content] = []
    for title, rows in sections:
        if lines:
            lines.append(Content(""))
        lines.append(Content.styled(title, "bold $text-accent"))
        for row in rows:
            parts: list = [(f"  {row.keys:<{key_width}}", "bold $text-primary")]
            if show_ids:
                parts.append((f"{row.binding_id or '-':<{id_width}}", "$text-muted"))
            parts.append(row.description)
            lines.append(line(*parts))
            if not show_ids and row.binding_id:
                lines.append(line((f"  {'':<{key_width}}", ""), (row.binding_id, "$text-muted")))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Lists the bindings of the screen it was opened from; Esc, q or ? closes it."""

    BINDING_GROUP_TITLE = "Help"
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
        *scroll_bindings("help"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 100%;
        height: 100%;
        border: round $primary;
        border-title-color: $text-accent;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen Static { width: 1fr; height: auto; }
    """

    def __init__(self, sections: list[tuple[str, list[HelpRow]]], config_file: str = "") -> None:
        super().__init__()
        self.sections = sections
        self.config_file = config_file

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll") as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "esc close"
            scroll.can_focus = True
            yield Static(Content(""), id="help-body", markup=False)
            if self.config_file:
                yield Static(line(("\nRemap a key by its id in ", "$text-muted"), self.config_file,
                                  (", e.g.\n  keys:\n    desk.log_contact: f2", "$text-muted")),
                             id="help-config", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()
        self._render_body()

    def on_resize(self) -> None:
        self._render_body()

    def _render_body(self) -> None:
        width = self.query_one("#help-scroll").content_region.width or self.size.width
        self.query_one("#help-body", Static).update(render_catalogue(self.sections, width))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#help-scroll").scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#help-scroll").scroll_up(animate=False)

    def action_scroll_home(self) -> None:
        self.query_one("#help-scroll").scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self.query_one("#help-scroll").scroll_end(animate=False)

    def action_page_down(self) -> None:
        self.query_one("#help-scroll").scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.query_one("#help-scroll").scroll_page_up(animate=False)

    @property
    def text(self) -> str:
        return render_catalogue(self.sections, 200).plain
