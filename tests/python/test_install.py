"""`cmake --install` puts the package where /usr/bin/python3 looks, and the programs in bin/."""
import os
import subprocess
import sysconfig


def test_the_installed_package_imports_from_the_interpreters_own_site_directory(build_dir, tmp_path):
    stage = tmp_path / "stage"
    env = dict(os.environ, DESTDIR=str(stage))
    for component in ("python", "runtime"):
        done = subprocess.run(["cmake", "--install", str(build_dir), "--component", component], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    site = str(stage) + sysconfig.get_path("platlib")
    # -I: no PYTHONPATH, no user site; the staged site directory stands in for the real one.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import yellowtail; print(yellowtail.__file__); "
        "print(yellowtail.run_attempt('cgnat', 'full-cone')['outcome'])"
    )
    ran = subprocess.run(["/usr/bin/python3", "-I", "-c", probe, site], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    where, outcome = ran.stdout.split()
    assert where == os.path.join(site, "yellowtail", "__init__.py")
    assert outcome == "direct"
    for name in ("_core.pyi", "py.typed", "sweep.py", "__main__.py"):
        assert os.path.exists(os.path.join(site, "yellowtail", name)), name
    prefix = subprocess.run(["cmake", "-L", "-N", str(build_dir)], capture_output=True, text=True).stdout
    install_prefix = next(line.split("=", 1)[1] for line in prefix.splitlines()
                          if line.startswith("CMAKE_INSTALL_PREFIX"))
    for program in ("yellowtaild", "yellowtail", "yellowtail-server", "yellowtail-relay", "yellowtail-sim"):
        assert os.access(str(stage) + os.path.join(install_prefix, "bin", program), os.X_OK), program
