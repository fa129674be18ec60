import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scenarios"))


@pytest.fixture(scope="session")
def build_dir():
    """The CMake build directory (ctest passes YT_BUILD_DIR; default build/)."""
    path = pathlib.Path(os.environ.get("YT_BUILD_DIR", REPO / "build")).resolve()
    if not (path / "emulation" / "yellowtail-sim").exists():
        pytest.fail(f"yellowtail-sim not built in {path}; run scripts/build.sh first")
    return path


@pytest.fixture(scope="session")
def yellowtail(build_dir):
    """The yellowtail package as built in <build>/python (not an installed one)."""
    sys.path.insert(0, str(build_dir / "python"))
    import yellowtail as module
    assert pathlib.Path(module.__file__).is_relative_to(build_dir / "python"), module.__file__
    return module
