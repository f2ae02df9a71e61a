"""Before Qt starts, the launcher finds what would make it abort (a missing X11 library, no
display) and says what to install instead of letting Qt end the process with SIGABRT."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from playground.cli import main, qt_platform
from playground.cli.qt_platform import XCB_LIBRARIES, import_advice, platform_problem

DESKTOP = {"DISPLAY": ":0"}


def all_but(*absent: str) -> qt_platform.Loader:
    return lambda name: name not in absent


def test_a_complete_x11_desktop_has_no_problem() -> None:
    assert platform_problem(DESKTOP, "linux", all_but(), lambda: True) is None


def test_missing_xcb_libraries_are_named_with_their_packages() -> None:
    problem = platform_problem(DESKTOP, "linux", all_but("libxcb-icccm.so.4", "libxcb-keysyms.so.1"), lambda: True)
    assert problem is not None
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in problem
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1\n" in problem


@pytest.mark.parametrize(("env", "platform"), [
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),
    ({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux"),
    (DESKTOP, "darwin"),
    (DESKTOP, "win32"),
])
def test_no_check_where_xcb_is_not_used(env: dict[str, str], platform: str) -> None:
    assert platform_problem(env, platform, all_but(*XCB_LIBRARIES), lambda: False) is None


def test_a_wayland_session_needs_xcb_only_when_wayland_cannot_load() -> None:
    session = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}
    assert platform_problem(session, "linux", all_but("libxcb-cursor.so.0"), lambda: False) is None
    problem = platform_problem(session, "linux", all_but("libxcb-cursor.so.0", "libwayland-client.so.0"),
                               lambda: False)
    assert problem is not None
    assert "apt-get install libxcb-cursor0" in problem
    explicit = {"QT_QPA_PLATFORM": "xcb", **session}
    assert "libxcb-cursor0" in (platform_problem(explicit, "linux", all_but("libxcb-cursor.so.0")) or "")


def test_no_display_or_an_unreachable_one_is_said_plainly() -> None:
    assert "DISPLAY is not set" in (platform_problem({}, "linux", all_but(), lambda: True) or "")
    assert "cannot connect to the X display ':0'" in (platform_problem(DESKTOP, "linux", all_but(),
                                                                        lambda: False) or "")


def test_an_import_error_for_a_system_library_names_its_package() -> None:
    error = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    assert "sudo apt-get install libegl1" in (import_advice(error) or "")
    assert import_advice(ImportError("No module named 'PySide6'")) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux's")
def test_the_launcher_exits_1_with_the_advice_instead_of_aborting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def must_not_start(*_args: object) -> int:
        raise AssertionError("the app must not start")

    monkeypatch.setattr("playground.ui.app.run_app", must_not_start)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(qt_platform, "loads", all_but("libxcb-icccm.so.4"))
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4" in err
    assert "sudo apt-get install libxcb-icccm4" in err


def test_the_list_covers_what_the_installed_plugin_links() -> None:
    """A PySide6 upgrade that links another X11 library shows up here."""
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists() or shutil.which("ldd") is None:
        pytest.skip("no xcb plugin or no ldd here")
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=False).stdout
    linked = set(re.findall(r"^\s*((?:libxcb|libxkbcommon|libX11)[\w.-]*\.so\.\d+)", out, re.MULTILINE))
    assert linked, out
    assert linked <= set(XCB_LIBRARIES), f"not listed: {linked - set(XCB_LIBRARIES)}"
