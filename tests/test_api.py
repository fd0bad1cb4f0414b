"""The public face `ipverify`: the README's worked example runs, and `bound` answers as the command line does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ipverify

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})  # the project's own README, not user input
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("holds provided that: L is a Lipschitz constant")
    assert float(out[1]) == pytest.approx(1.0) and float(out[2]) == pytest.approx(1 / (1 - 0.4))


def test_bound_is_what_the_command_line_prints():
    ours = ipverify.bound("GD-1", gamma=0.4, L=2)
    cli = subprocess.run([sys.executable, "-m", "ipverify", "bound", "GD-1", "gamma=0.4", "L=2", "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    assert ours == json.loads(cli.stdout)


def test_bad_input_is_a_value_error_with_the_cli_message():
    with pytest.raises(ValueError, match="not a number"):
        ipverify.bound("GD-1", gamma="x", L=2)
    with pytest.raises(ValueError, match="unknown result id"):
        ipverify.bound("GD-99")
