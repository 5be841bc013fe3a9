"""The private Textual names the desk relies on (deskapp.tui.textual_compat) still do what it relies on.

A Textual upgrade that renames or reshapes one of them fails here, naming the
function to fix, rather than somewhere in the desk. And no other deskapp module
may use a private Textual name: the scan at the end finds imports, attribute
reads, getattr strings and method overrides.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import os
import pkgutil
import shutil
import signal
import sys
from pathlib import Path

import pytest
import textual
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.drivers.linux_driver import LinuxDriver
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

import deskapp
from deskapp.tui import textual_compat as compat

DESKAPP = Path(deskapp.__file__).parent
COMPAT = Path(compat.__file__)


# --- keys and bindings ------------------------------------------------------


def test_normalize_keys_gives_textuals_long_names():
    assert compat.normalize_keys("?, ctrl+f,/") == "question_mark,ctrl+f,slash"
    assert compat.normalize_keys("escape,q") == "escape,q"


async def test_app_keymap_is_what_set_keymap_stored_in_normal_form():
    app = App()
    async with app.run_test():
        app.set_keymap({"desk.search": "/,ctrl+f"})
        assert dict(compat.app_keymap(app)) == {"desk.search": compat.normalize_keys("/,ctrl+f")}
        app.update_keymap({"desk.help": "?"})
        assert compat.app_keymap(app)["desk.help"] == "question_mark"


class _Base(Screen):
    BINDINGS = [Binding("a", "alpha", "Alpha", id="t.alpha")]


class _Child(_Base):
    BINDINGS = [Binding("b", "beta", "Beta", id="t.beta")]


class _Alone(_Base, inherit_bindings=False):
    BINDINGS = [Binding("c", "gamma", "Gamma", id="t.gamma")]


def _ids(bindings_map) -> set[str]:
    return {b.id for group in bindings_map.key_to_bindings.values() for b in group if b.id}


def test_declared_bindings_merge_down_the_class_hierarchy_without_an_instance():
    assert _ids(compat.declared_bindings(_Child)) == {"t.alpha", "t.beta"}
    assert _ids(compat.declared_bindings(_Alone)) == {"t.gamma"}


async def test_node_bindings_are_a_live_nodes_own_with_the_palette_key_on_the_app():
    class KeyedApp(App):
        BINDINGS = [Binding("x", "bell", "Ring", id="t.ring")]

    app = KeyedApp()
    async with app.run_test():
        bindings = compat.node_bindings(app)
        assert "t.ring" in _ids(bindings)
        assert any(b.action == "command_palette" for group in bindings.key_to_bindings.values() for b in group)
        app.bind("y", "bell", description="Extra")  # bound at run time: only the node's own map has it
        assert "y" in compat.node_bindings(app).key_to_bindings


# --- screens and widgets ----------------------------------------------------

_BREAKPOINTS = [(0, "-narrow"), (90, "-medium"), (120, "-wide")]


class _BreakpointScreen(Screen):
    HORIZONTAL_BREAKPOINTS = _BREAKPOINTS


@pytest.mark.parametrize("width", [60, 90, 119, 150])
async def test_breakpoint_classes_are_the_ones_textual_gives_the_screen(width):
    app = App()
    async with app.run_test(size=(width, 20)) as pilot:
        screen = _BreakpointScreen()
        await app.push_screen(screen)
        await pilot.pause()
        given = {name for _, name in _BREAKPOINTS} & set(screen.classes)
        assert compat.breakpoint_classes(screen, width, _BREAKPOINTS) == given
        assert len(given) == 1


class _Styled(Widget):
    COMPONENT_CLASSES = {"styled--loud"}
    DEFAULT_CSS = "_Styled .styled--loud { text-style: bold; color: red; }"


async def test_render_options_look_up_component_classes_like_textuals_own_rendering():
    class StyledApp(App):
        def compose(self) -> ComposeResult:
            yield _Styled()

    app = StyledApp()
    async with app.run_test():
        widget = app.query_one(_Styled)
        options = compat.render_options(widget)
        assert options.rules is widget.styles
        loud = options.get_style(".styled--loud")
        assert loud == widget.get_visual_style("styled--loud", partial=True) and loud.bold
        strips = Content("hi").stylize(".styled--loud").render_strips(10, None, widget.visual_style, options)
        assert strips[0].text.startswith("hi") and next(iter(strips[0])).style.bold


# --- the app and its driver ---------------------------------------------------


async def test_app_driver_is_the_running_apps_driver():
    from textual.driver import Driver

    app = App()
    assert compat.app_driver(app) is None
    async with app.run_test():
        assert isinstance(compat.app_driver(app), Driver)


async def test_crash_hook_gets_the_unhandled_error_instead_of_textuals_traceback(capfd):
    seen: list[BaseException | None] = []

    class Hooked(compat.CrashHook, App):
        BINDINGS = [Binding("x", "boom", "Boom")]

        def crashed(self, error):
            seen.append(error)
            self.panic("one line")

        def action_boom(self) -> None:
            raise ValueError("kaboom")

    app = Hooked()
    with pytest.raises(ValueError):
        async with app.run_test() as pilot:
            await pilot.press("x")
            await pilot.pause()
    assert len(seen) == 1 and isinstance(seen[0], ValueError) and str(seen[0]) == "kaboom"
    err = capfd.readouterr().err
    assert "one line" in err and "Traceback" not in err


def test_size_hook_sees_every_measurement_textual_makes(monkeypatch):
    read: list[tuple[int, int]] = []

    class Hooked(compat.with_size_hook(LinuxDriver)):
        def terminal_size_read(self, width: int, height: int) -> None:
            read.append((width, height))

    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a: os.terminal_size((123, 45)))
    driver = Hooked.__new__(Hooked)
    assert issubclass(Hooked, LinuxDriver) and Hooked.__mro__[1].__name__ == "LinuxDriver"
    # Textual measures the terminal through this one method, at start and on SIGWINCH.
    assert "self._get_terminal_size()" in inspect.getsource(LinuxDriver.start_application_mode)
    assert driver._get_terminal_size() == (123, 45)
    assert read == [(123, 45)]


@pytest.fixture
def linux_driver(monkeypatch):
    """A real LinuxDriver, made without a terminal (its signal handlers put back afterwards)."""
    monkeypatch.setattr(sys, "__stdin__", open(os.devnull))
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTSTP, signal.SIGCONT)}
    yield lambda: LinuxDriver(App())
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    sys.__stdin__.close()


async def test_driver_output_is_the_stream_textual_writes_the_screen_to(linux_driver):
    assert compat.driver_output(linux_driver()) is sys.__stderr__


async def test_driver_writing_says_whether_a_write_would_be_refused(linux_driver):
    from textual.drivers._writer_thread import WriterThread

    driver = linux_driver()
    assert not compat.driver_writing(driver)
    with pytest.raises(AssertionError):
        driver.write("x")  # what the lean driver must not do when handing the terminal back
    driver._writer_thread = WriterThread(io.StringIO())  # as start_application_mode sets it
    assert compat.driver_writing(driver)
    driver.write("x")


# --- no other module uses a private Textual name --------------------------------


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _names_given(tree: ast.AST):
    """Every name the code gives a value: def/class names, assignments, setattr(o, "_x", ...)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.attr
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id
        elif isinstance(node, ast.Call) and _called(node) in ("setattr", "__setattr__") and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            yield node.args[1].value


def _textual_private_names() -> frozenset[str]:
    return frozenset(name for path in Path(textual.__file__).parent.rglob("*.py")
                     for name in _names_given(ast.parse(path.read_text(encoding="utf-8"))) if _private(name))


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def private_textual_uses(sources: dict[str, str], textual_names: frozenset[str]) -> list[str]:
    """`file:line name` for each use of a private Textual name: a private import from textual, or a
    private attribute (or getattr/hasattr string) that Textual defines and these sources never set."""
    trees = {name: ast.parse(text) for name, text in sources.items()}
    own = {name for tree in trees.values() for name in _names_given(tree)}  # deskapp's own
    found = []
    for name, tree in trees.items():
        modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
                   if not a.name.startswith("textual")}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "textual":
                private = [a.name for a in node.names if _private(a.name)]
                if any(_private(part) for part in node.module.split(".")):
                    private = [node.module]
                found += [f"{name}:{node.lineno} {p}" for p in private]
            elif isinstance(node, ast.Import):
                found += [f"{name}:{node.lineno} {a.name}" for a in node.names
                          if a.name.split(".")[0] == "textual" and any(_private(p) for p in a.name.split("."))]
            elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
                receiver_is_module = isinstance(node.value, ast.Name) and node.value.id in modules  # os._exit
                if _private(node.attr) and node.attr in textual_names and node.attr not in own \
                        and not receiver_is_module:
                    found.append(f"{name}:{node.lineno} {node.attr}")
            elif isinstance(node, ast.Call) and _called(node) in ("getattr", "hasattr") and len(node.args) > 1:
                attr = node.args[1]
                if isinstance(attr, ast.Constant) and isinstance(attr.value, str) and _private(attr.value) \
                        and attr.value in textual_names and attr.value not in own:
                    found.append(f"{name}:{node.lineno} {attr.value}")
    return sorted(found)


def private_textual_overrides(classes) -> list[str]:
    """`Class.name` for each method a class defines over a private one of a Textual base class."""
    found = []
    for cls in classes:
        bases = [b for b in cls.__mro__[1:] if b.__module__.split(".")[0] == "textual"]
        for name, value in vars(cls).items():
            method = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            if _private(name) and (inspect.isfunction(method) or isinstance(method, property)) \
                    and any(name in vars(base) for base in bases):
                found.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    return sorted(found)


def _deskapp_sources() -> dict[str, str]:
    return {str(p.relative_to(DESKAPP.parent)): p.read_text(encoding="utf-8")
            for p in sorted(DESKAPP.rglob("*.py")) if p != COMPAT}


def _deskapp_classes() -> list[type]:
    from deskapp.tui.terminal.lean_driver import lean

    modules = [importlib.import_module(m.name) for m in pkgutil.walk_packages(deskapp.__path__, "deskapp.")
               if not m.name.endswith("__main__") and m.name != compat.__name__]
    classes = {value for module in modules for value in vars(module).values()
               if inspect.isclass(value) and value.__module__ == module.__name__}
    classes.add(lean(LinuxDriver))  # made by a factory: not a module attribute
    return sorted(classes, key=lambda c: (c.__module__, c.__qualname__))


def test_no_module_but_textual_compat_uses_a_private_textual_name():
    assert private_textual_uses(_deskapp_sources(), _textual_private_names()) == []


def test_no_desk_class_overrides_a_private_textual_method():
    assert private_textual_overrides(_deskapp_classes()) == []


def test_the_scan_finds_each_kind_of_private_use():
    textual_names = _textual_private_names()
    sources = {
        "a.py": "from textual.keys import _normalize_key_list\nimport textual._compositor\n",
        "b.py": "def f(app):\n    return app._keymap, getattr(app, '_driver', None)\n",
        "c.py": "import os\nclass K:\n    def __init__(self):\n        self._mine = 1\n"
                "    def f(self):\n        os._exit(0)\n        return self._mine\n",
    }
    assert private_textual_uses(sources, textual_names) == [
        "a.py:1 _normalize_key_list", "a.py:2 textual._compositor", "b.py:2 _driver", "b.py:2 _keymap"]

    class Overrides(App):
        def _fatal_error(self) -> None: ...

        def _not_textuals(self) -> None: ...

    assert private_textual_overrides([Overrides]) == [f"{__name__}.{Overrides.__qualname__}._fatal_error"]
