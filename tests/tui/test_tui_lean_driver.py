"""The desk's driver sends only style changes, and hands the terminal back in the style it found."""

from __future__ import annotations

from textual.drivers.linux_driver import LinuxDriver

from deskapp.tui.lean_driver import lean, wants_lean_output


class _Recording(LinuxDriver):
    """A LinuxDriver that writes into a list (no terminal, no writer thread)."""

    def __init__(self) -> None:  # noqa: D107 - the parent needs a running app
        self.written: list[str] = []
        self._writer_thread = object()

    def write(self, data: str) -> None:
        self.written.append(data)

    def start_application_mode(self) -> None:
        self.written.append("<start>")

    def stop_application_mode(self) -> None:
        self.written.append("<stop>")


def recording_lean_driver():
    driver_class = lean(_Recording)
    driver = driver_class.__new__(driver_class)
    _Recording.__init__(driver)
    from deskapp.tui.sgr import SgrMinimizer

    driver._styles = SgrMinimizer()
    return driver


def test_the_desk_driver_is_textuals_own_unless_turned_off(monkeypatch):
    from deskapp.tui.app import DeskApp

    monkeypatch.delenv("DESKAPP_FULL_STYLES", raising=False)
    chosen = DeskApp.get_driver_class(DeskApp.__new__(DeskApp))
    assert issubclass(chosen, LinuxDriver) and chosen.__name__.startswith("Lean")
    monkeypatch.setenv("DESKAPP_FULL_STYLES", "1")
    assert not DeskApp.get_driver_class(DeskApp.__new__(DeskApp)).__name__.startswith("Lean")
    assert wants_lean_output({}) and not wants_lean_output({"DESKAPP_FULL_STYLES": "yes"})


def test_writes_go_out_with_only_the_changes():
    driver = recording_lean_driver()
    driver.write("\x1b[38;5;188;48;5;16mA\x1b[0m\x1b[1;38;5;188;48;5;16mB\x1b[0m")
    assert "".join(driver.written) == "\x1b[0;38;5;188;48;5;16mA\x1b[1mB"


def test_the_terminal_is_handed_back_reset_and_taken_again_assuming_nothing():
    driver = recording_lean_driver()
    driver.write("\x1b[31mA\x1b[0m")
    driver.stop_application_mode()
    assert driver.written[-2:] == ["\x1b[0m", "<stop>"]
    driver.start_application_mode()
    driver.write("\x1b[31mB")
    assert driver.written[-1] == "\x1b[0;31mB", "after a suspend the style is sent in full again"


def test_a_resize_reported_in_band_gives_the_minimizer_the_new_height(monkeypatch):
    from textual import events
    from textual.driver import Driver
    from textual.geometry import Size

    driver = recording_lean_driver()
    monkeypatch.setattr(Driver, "process_message", lambda self, message: None)
    driver.process_message(events.Resize(Size(100, 33), Size(100, 33)))
    assert driver._styles.height == 33
