"""Shared fixtures: build real native code (C libraries, C extensions, Cython modules) inside the test run."""
import ctypes
import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

CC = os.environ.get("CC", "cc")


def _compile(sources, output, extra_args=()):
    cmd = [CC, "-O2", "-shared", "-fPIC", "-o", str(output), *map(str, sources), *extra_args, "-lm"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"compiling {sources} failed:\n{result.stderr}")
    return output


class NativeBuilder:
    """Compiles C into shared libraries and extension modules under one temporary folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def _fresh(self, stem):
        self.count += 1
        return self.folder / f"{stem}_{self.count}"

    def c_library(self, source: str) -> Path:
        """A shared library built from C source; load it with ctypes.CDLL or ffi.dlopen."""
        base = self._fresh("lib")
        c_file = base.with_suffix(".c")
        c_file.write_text(source)
        return _compile([c_file], base.with_suffix(".so"))

    def ctypes_library(self, source: str, signatures=None) -> ctypes.CDLL:
        """The library loaded with ctypes; `signatures` maps function names to (restype, argtypes)."""
        library = ctypes.CDLL(str(self.c_library(source)))
        for name, (restype, argtypes) in (signatures or {}).items():
            function = getattr(library, name)
            function.restype, function.argtypes = restype, list(argtypes)
        return library

    def extension(self, name: str, source: str, language: str = "c"):
        """Build and import a CPython extension module from C or Cython source."""
        folder = self._fresh("ext")
        folder.mkdir()
        if language == "cython":
            pyx = folder / f"{name}.pyx"
            pyx.write_text(source)
            c_file = folder / f"{name}.c"
            result = subprocess.run([sys.executable, "-m", "cython", "-3", str(pyx), "-o", str(c_file)],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(f"cython failed:\n{result.stderr}{result.stdout}")
        else:
            c_file = folder / f"{name}.c"
            c_file.write_text(source)
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        output = folder / f"{name}{suffix}"
        _compile([c_file], output, ["-I" + sysconfig.get_paths()["include"], "-w"])
        spec = importlib.util.spec_from_file_location(name, output)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


@pytest.fixture(scope="session")
def native(tmp_path_factory):
    return NativeBuilder(tmp_path_factory.mktemp("native"))
