"""The desk's driver sends only changed cells and style changes, and hands the terminal back as it found it."""

from __future__ import annotations

from textual.drivers.linux_driver import LinuxDriver

from deskapp.tui.terminal.lean_driver import lean, wants_lean_output


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
    from deskapp.tui.terminal.cells import CellFilter
    from deskapp.tui.terminal.sgr import SgrMinimizer

    driver._cells = CellFilter()
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


def test_a_resize_by_signal_gives_the_filter_and_minimizer_the_new_size(monkeypatch):
    """SIGWINCH goes from Textual's driver straight to the app; the driver sees only the measurement."""
    import os
    import shutil

    driver = recording_lean_driver()
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a: os.terminal_size((57, 21)))
    assert driver._get_terminal_size() == (57, 21)  # what LinuxDriver calls at start and on SIGWINCH
    assert (driver._cells.width, driver._cells.height, driver._styles.height) == (57, 21, 21)


FRAME = "\x1b[1;1H\x1b[38;5;188;48;5;16mC-1001 Rent\x1b[0m\x1b[2;1H\x1b[38;5;246;48;5;16mdue 12 Dec\x1b[0m\x1b[1;1H"


def test_a_frame_the_terminal_already_shows_is_not_sent_again(monkeypatch):
    from textual import events
    from textual.driver import Driver
    from textual.geometry import Size

    driver = recording_lean_driver()
    monkeypatch.setattr(Driver, "process_message", lambda self, message: None)
    driver.process_message(events.Resize(Size(40, 10), Size(40, 10)))
    driver.write(FRAME)
    assert "C-1001" in "".join(driver.written)
    driver.written.clear()
    driver.write(FRAME)
    assert driver.written == [], "nothing changed on the screen: nothing is sent"
    driver.write(FRAME.replace("1001", "1002"))
    assert "".join(driver.written) == "\x1b[1;6H\x1b[38;5;188m2\r", "one cell, its colour and the way back"

    driver.written.clear()
    driver.forget_screen()  # ctrl+l
    driver.write(FRAME)
    assert "C-1001 Rent" in "".join(driver.written) and "due 12 Dec" in "".join(driver.written)
    driver.written.clear()
    driver.process_message(events.Resize(Size(41, 10), Size(41, 10)))
    driver.write(FRAME)
    assert "C-1001 Rent" in "".join(driver.written), "after a resize the terminal may show anything"
    driver.written.clear()
    driver.stop_application_mode()
    driver.start_application_mode()
    driver.write(FRAME)
    assert "C-1001 Rent" in "".join(driver.written), "after a suspend too"


def test_the_cursor_is_left_where_textual_put_it_when_the_terminal_is_let_go(monkeypatch):
    from textual import events
    from textual.driver import Driver
    from textual.geometry import Size

    driver = recording_lean_driver()
    monkeypatch.setattr(Driver, "process_message", lambda self, message: None)
    driver.process_message(events.Resize(Size(40, 10), Size(40, 10)))
    driver.write(FRAME)
    driver.write(FRAME[:-len("\x1b[1;1H")] + "\x1b[5;7H")  # nothing drawn, the cursor parked elsewhere
    assert "".join(driver.written).endswith("\x1b[5;7H")


def test_taking_the_terminal_reads_what_its_tty_and_terminfo_allow(monkeypatch):
    """ONLCR is read from the tty the desk writes to, ECH from TERM's terminfo, each time the terminal
    is taken (a suspended desk may come back to a tty with other settings)."""
    import os
    import pty
    import termios

    import deskapp.tui.terminal.lean_driver as lean_driver

    asked = []
    monkeypatch.setattr(lean_driver, "erases_in_background", lambda term: asked.append(term) or term == "xterm")
    monkeypatch.setenv("TERM", "xterm")
    parent, child = pty.openpty()
    try:
        driver = recording_lean_driver()
        driver._file = os.fdopen(os.dup(child), "w")
        attrs = termios.tcgetattr(child)
        attrs[1] |= termios.OPOST | termios.ONLCR
        termios.tcsetattr(child, termios.TCSANOW, attrs)
        driver.start_application_mode()
        assert driver._cells.onlcr is True and driver._cells.erase is True and asked == ["xterm"]
        driver.stop_application_mode()
        attrs[1] &= ~termios.ONLCR
        termios.tcsetattr(child, termios.TCSANOW, attrs)
        monkeypatch.setenv("TERM", "screen")
        driver.start_application_mode()
        assert driver._cells.onlcr is False and driver._cells.erase is False
        driver._file.close()
    finally:
        os.close(parent)
        os.close(child)
    plain = recording_lean_driver()  # no file to ask (a test's StringIO, a closed stream): nothing assumed
    plain.start_application_mode()
    assert plain._cells.onlcr is False
