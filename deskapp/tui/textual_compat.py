"""Every private Textual name the desk relies on, in one place.

Textual renames and reshapes its private names between releases without
notice. Each function here wraps one of them, says why the public API does not
do the job, and has a test in tests/tui/test_textual_compat.py that fails when
an upgrade breaks what the desk relies on, so an upgrade is checked here and
nowhere else. No other deskapp module may use a private Textual name (the same
test file scans for them).

Written against Textual 8.2.8 (pinned exactly in pyproject.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, TextIO

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import BindingsMap
    from textual.driver import Driver
    from textual.screen import Screen
    from textual.visual import RenderOptions
    from textual.widget import Widget


# --- keys and bindings ------------------------------------------------------


def normalize_keys(keys: str) -> str:
    """A comma-separated key list in Textual's long form ("?" -> "question_mark").

    The desk checks a keymap for clashes before handing it to `App.set_keymap`,
    and must compare keys the way Textual will store them; Textual exposes this
    only as `textual.keys._normalize_key_list`.
    """
    from textual.keys import _normalize_key_list

    return _normalize_key_list(keys)


def app_keymap(app: "App") -> Mapping[str, str]:
    """The keymap in force (binding id -> keys, normalised), as `App.set_keymap` stored it.

    Textual has a setter (`set_keymap`, `update_keymap`) but no getter; the help
    screen and palette show the keys a handler actually has.
    """
    return app._keymap


def declared_bindings(node_class: type) -> "BindingsMap":
    """A screen or widget class's bindings merged down its class hierarchy, without an instance.

    The keymap and help list the keys of screens and forms that are not open;
    Textual merges `BINDINGS` along the MRO only in the private `_merge_bindings`.
    """
    return node_class._merge_bindings()


def node_bindings(node: Any) -> "BindingsMap":
    """A live node's own bindings (for the app: including the palette key Textual adds at start).

    `Screen.active_bindings` mixes every node in focus; the help screen lists them
    node by node, which only the private `_bindings` holds.
    """
    return node._bindings


# --- screens and widgets ----------------------------------------------------


def breakpoint_classes(screen: "Screen", width: int, breakpoints: list[tuple[int, str]]) -> set[str]:
    """The layout class Textual gives `screen` at `width` for `breakpoints`.

    The main screen adds it before its first resize so that its panes are styled
    once; it must be the class Textual itself would pick, which only the private
    `Screen._get_breakpoint_classes` computes.
    """
    return screen._get_breakpoint_classes(width, breakpoints)


def render_options(widget: "Widget") -> "RenderOptions":
    """The options Textual renders a widget's Content with (its component-class style lookup).

    `Visual.to_strips` builds these per call and also applies selection and link
    styles; the desk's long case text wraps block by block with one set of
    options, which needs the private `Widget._get_style`.
    """
    from textual.visual import RenderOptions

    return RenderOptions(widget._get_style, widget.styles)


# --- the app and its driver ---------------------------------------------------


def app_driver(app: "App") -> Optional["Driver"]:
    """The driver writing the app to the terminal (None before it starts).

    The redraw key must tell the desk's own driver to forget what the terminal
    shows; Textual keeps the driver only in `App._driver`.
    """
    return app._driver


class CrashHook:
    """Mix into an App: an unexpected error calls `self.crashed(error)` instead of Textual's handler.

    Textual's handler for an unhandled error (`App._fatal_error`) prints a full
    traceback with local variables - customer text included - on exit, and has
    no public hook. `crashed` must end the app, e.g. with the public `App.panic`.
    """

    def _fatal_error(self) -> None:
        self.crashed(self._exception)  # type: ignore[attr-defined]


def with_size_hook(driver_class: type) -> type:
    """A subclass of a Linux driver class that calls `self.terminal_size_read(width, height)`
    each time it measures the terminal (at start and on every SIGWINCH).

    A resize by signal goes straight from the driver to the app; the driver sees
    it only in the private `LinuxDriver._get_terminal_size`.
    """

    class SizeHooked(driver_class):  # type: ignore[misc, valid-type]
        def terminal_size_read(self, width: int, height: int) -> None:
            """Override: the terminal measures `width` x `height`."""

        def _get_terminal_size(self) -> tuple[int, int]:
            width, height = super()._get_terminal_size()
            self.terminal_size_read(width, height)
            return width, height

    SizeHooked.__name__ = SizeHooked.__qualname__ = driver_class.__name__
    return SizeHooked


def driver_output(driver: Any) -> Optional[TextIO]:
    """The stream a Linux driver writes the screen to (None if it has none).

    The lean driver asks the tty how it treats a bare line feed; Textual opens
    the stream itself (`LinuxDriver._file`) and does not expose it.
    """
    return getattr(driver, "_file", None)


def driver_writing(driver: Any) -> bool:
    """True while a Linux driver can write (its writer thread is running).

    `LinuxDriver.write` asserts this rather than dropping the data; the lean
    driver flushes what it held back only when writing is still possible.
    """
    return getattr(driver, "_writer_thread", None) is not None


__all__ = [
    "CrashHook",
    "app_driver",
    "app_keymap",
    "breakpoint_classes",
    "declared_bindings",
    "driver_output",
    "driver_writing",
    "node_bindings",
    "normalize_keys",
    "render_options",
    "with_size_hook",
]
