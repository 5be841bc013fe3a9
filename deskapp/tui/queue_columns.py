"""Hiding, showing and resizing the queue's columns, as VisiData lets you: `-` `+` `<` `>`.

The handler picks the column from a short list (the queue has no column
cursor: its rows are the cursor), the queue is redrawn at once, and the
choice is saved in config.yaml (`queue:`, declared in deskapp.tui.config_file)
so the desk opens with it next time.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from textual.content import Content

from deskapp.tui.widgets.queue_view import (COLUMN_LABELS, COLUMN_WIDTH_STEP, HIDEABLE_COLUMNS, SIZED_COLUMNS,
                                            QueueView)

WIDTH_LIMITS = (4, 40)  # as config_file.QueueColumns checks


def apply_saved(view: QueueView, user_config: Any) -> None:
    """The columns config.yaml asks for (nothing to do when it asks for none)."""
    if user_config.queue_hidden or user_config.queue_widths:
        view.set_columns(user_config.queue_hidden, user_config.queue_widths)


def hide(app: Any, view: QueueView) -> None:
    """`-`: pick a shown column to hide."""
    shown = [c.name for c in view.columns() if c.name in HIDEABLE_COLUMNS]
    _pick(app, "Hide which queue column?", shown, "No column left to hide.",
          lambda name: _save(app, view, view.hidden_columns | {name}, view.column_widths))


def show(app: Any, view: QueueView) -> None:
    """`+`: pick a hidden column to show again."""
    hidden = [name for name in HIDEABLE_COLUMNS if name in view.hidden_columns]
    _pick(app, "Show which queue column?", hidden, "No queue column is hidden.",
          lambda name: _save(app, view, view.hidden_columns - {name}, view.column_widths))


def resize(app: Any, view: QueueView, step: int) -> None:
    """`<` / `>`: pick a column and make it COLUMN_WIDTH_STEP cells narrower / wider."""
    widths = {c.name: c.width for c in view.columns() if c.name in SIZED_COLUMNS}

    def chosen(name: str) -> None:
        low, high = WIDTH_LIMITS
        width = max(low, min(high, widths[name] + step * COLUMN_WIDTH_STEP))
        _save(app, view, view.hidden_columns, {**view.column_widths, name: width})

    verb = "Widen" if step > 0 else "Narrow"
    _pick(app, f"{verb} which queue column?", list(widths), "No resizable column is shown; widen the pane.",
          chosen)


def _pick(app: Any, title: str, names: list[str], none: str, then: Callable[[str], None]) -> None:
    if not names:
        app.notify(none, markup=False)
        return
    from deskapp.tui.screens.pick import PickScreen

    choices = [(Content(COLUMN_LABELS.get(name, name)), name) for name in names]
    app.push_screen(PickScreen(title, choices), lambda name: then(name) if name else None)


def _save(app: Any, view: QueueView, hidden: frozenset[str], widths: dict[str, int]) -> None:
    from deskapp.tui.userconfig import save_queue_columns

    view.set_columns(hidden, widths)
    app.user_config.queue_hidden, app.user_config.queue_widths = sorted(hidden), dict(widths)
    problem: Optional[str] = save_queue_columns(hidden, widths, app.config_file)
    if problem:
        app.notify(problem, severity="warning", markup=False)
