// yellowtail-sim sweep: parameter sweeps live in the Python package (they run on
// Dask), so the command hands its arguments over to `python3 -m yellowtail sweep`.
#pragma once

#include <string>
#include <vector>

namespace yt::emulation {

// Replaces this process with /usr/bin/python3 running the package's sweep
// command. The package is taken from the build tree when the executable runs
// from one (<build>/emulation/yellowtail-sim next to <build>/python), otherwise
// from where `cmake --install` put it. Returns only on failure, with an exit code.
int exec_python_sweep(const std::vector<std::string>& arguments);

}  // namespace yt::emulation
