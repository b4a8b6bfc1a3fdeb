"""The installed package type-checks with mypy, using the generated stubs of its extension modules."""
import subprocess
import sys
from pathlib import Path

import nativecall

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(nativecall.__file__).parent


def test_extension_modules_ship_stubs_and_py_typed():
    assert (PACKAGE / "py.typed").exists()
    for module in ("_core", "_integrate", "_ndimage", "_jit"):
        stub = PACKAGE / f"{module}.pyi"
        assert stub.exists(), f"no stub for {module}"
        assert "def " in stub.read_text()


def test_mypy_accepts_the_package_and_a_user_program(tmp_path):
    user = tmp_path / "user.py"
    user.write_text(
        "import ctypes\n"
        "from nativecall import LowLevelCallable, _core\n"
        "sig = _core.Signature('double (double, void *)')\n"
        "text: str = sig.c_spelling\n"
        "flag: bool = sig.same_abi(_core.Signature('float64(float64, voidptr)'))\n"
        "cb = LowLevelCallable(ctypes.CDLL(None).cos, signature='double (double)')\n")
    for target in (["-p", "nativecall"], [str(user)]):
        result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                                 "--cache-dir", str(tmp_path / "cache"), *target],
                                capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
