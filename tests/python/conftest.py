import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scenarios"))


@pytest.fixture(scope="session")
def build_dir():
    """The CMake build directory (ctest passes YT_BUILD_DIR; default build/)."""
    path = pathlib.Path(os.environ.get("YT_BUILD_DIR", REPO / "build"))
    if not (path / "emulation" / "yellowtail-sim").exists():
        pytest.fail(f"yellowtail-sim not built in {path}; run scripts/build.sh first")
    return path
