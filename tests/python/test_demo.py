"""The demo (the README's first command) runs end to end and writes its plot."""
import subprocess
import sys


def test_demo_runs_every_scenario_quickly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "nativecall.demo", "--quick", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title in ("Gaussian integrals", "exp(-t)/t**2", "image callbacks", "matched by ABI"):
        assert title in out
    assert "all 1000 integrals converged: True" in out
    assert "False" not in out.split("image callbacks")[1].split("Signatures")[0]  # every routine matches scipy
    png = tmp_path / "gaussian_integral.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
