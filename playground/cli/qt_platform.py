"""Can Qt open a window here? Asked before Qt is started, because Qt cannot answer it itself.

On Linux, Qt's X11 platform plugin (xcb) needs about twenty system libraries that a minimal
desktop install may lack. Qt then prints "Could not load the Qt platform plugin", names only
one of them (xcb-cursor0) and aborts the process: no Python handler runs after that. So the
app looks first, the way the dynamic loader will, and when a library is missing it says which
packages to install and exits 1.

Only the standard library is used here: this runs before PySide6 is imported (importing it
can itself fail for want of a library, which ``import_advice`` explains).
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections.abc import Callable, Mapping

#: The libraries PySide6 6.11's xcb plugin (plugins/platforms/libqxcb.so and lib/libQt6XcbQpa.so.6)
#: links from the system (``readelf -d``: NEEDED), with the Debian/Ubuntu package of each.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libGL.so.1": "libgl1",
}
#: What the Wayland plugin needs beyond Qt itself; Qt tries it first in a Wayland session.
WAYLAND_LIBRARIES: dict[str, str] = {
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libGL.so.1": "libgl1",
}
#: What importing PySide6's QtGui needs from the system (lib/libQt6Gui.so.6, NEEDED).
GUI_LIBRARIES: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11.so.6": "libx11-6",
}

Loader = Callable[[str], bool]


def loads(name: str) -> bool:
    """Whether the dynamic loader finds and can load the shared library ``name``."""
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def xcb_connects() -> bool:
    """Whether libxcb can connect to the X server named by DISPLAY (as Qt is about to): an
    unreachable display also makes Qt abort, blaming xcb-cursor0."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return False
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(None, None)
    try:
        return not xcb.xcb_connection_has_error(connection)
    finally:
        xcb.xcb_disconnect(connection)


def missing(libraries: Mapping[str, str], load: Loader | None = None) -> list[str]:
    load = load or loads
    return [name for name in libraries if not load(name)]


def candidate_platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order: QT_QPA_PLATFORM's list ("wayland;xcb",
    options after ':' dropped) if set, else Wayland first in a Wayland session, then xcb."""
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        return [p.split(":", 1)[0].strip() for p in requested.split(";") if p.strip()]
    wayland = bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE") == "wayland"
    return ["wayland", "xcb"] if wayland else ["xcb"]


def install_advice(packages: list[str]) -> str:
    return ("On Debian or Ubuntu install them with:\n"
            f"    sudo apt-get install {' '.join(dict.fromkeys(packages))}\n"
            "(other distributions: the packages that provide those files).")


def platform_problem(env: Mapping[str, str] | None = None, platform: str | None = None,
                     load: Loader | None = None, connects: Callable[[], bool] | None = None) -> str | None:
    """Why Qt will abort instead of opening a window here, or None when it should open one
    (or it is not our business: another OS, offscreen, a plugin that needs no xcb).
    ``load`` and ``connects`` stand in for the dynamic loader and the X server in tests."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    plugins = candidate_platforms(env)
    if "xcb" not in plugins:
        return None
    before = plugins[:plugins.index("xcb")]
    if "wayland" in before and env.get("WAYLAND_DISPLAY") and not missing(WAYLAND_LIBRARIES, load):
        return None     # Qt will open the window on Wayland
    absent = missing(XCB_LIBRARIES, load)
    if absent:
        return ("error: the window cannot open: Qt's X11 platform plugin (xcb) needs libraries this system "
                f"lacks: {', '.join(absent)}.\n" + install_advice([XCB_LIBRARIES[n] for n in absent]))
    if "wayland" in before:
        return None     # Qt may still manage on Wayland; the libraries for xcb are there
    display = env.get("DISPLAY")
    if not display:
        return ("error: there is no display to open the window on (DISPLAY is not set). Start it from a desktop "
                "session, or for --screenshot set QT_QPA_PLATFORM=offscreen.")
    if not (connects or xcb_connects)():
        return (f"error: cannot connect to the X display {display!r}: is the X server running, and may this "
                "user connect to it (xhost, XAUTHORITY)?")
    return None


def import_advice(error: ImportError) -> str | None:
    """For an ImportError of PySide6 that names a missing system library: which package."""
    found = re.search(r"(lib[\w.+-]+\.so(?:\.\d+)*)", str(error))
    if found is None:
        return None
    name = found[1]
    package = {**XCB_LIBRARIES, **GUI_LIBRARIES}.get(name)
    text = f"error: Qt cannot start: the system library {name} is missing."
    if package is not None:
        text += "\n" + install_advice([package])
    return text
