"""The README's Quick start is exactly two commands, and CI runs the second, then the fleets it leaves out."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.strip().splitlines() if line.strip()]


def test_quick_start_is_two_commands_demo_then_tests():
    first, second = quick_start_commands()
    assert first.endswith("lexer-bot demo")
    assert "pytest" in second and "[test]" in second


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert quick_start_commands()[1] in ci


def test_the_fleets_the_suite_leaves_out_run_in_ci_as_the_readme_says():
    import tomllib

    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    fleets = "-m fleet -n 2"
    assert "-m 'not fleet'" in addopts
    assert f".venv/bin/python -m pytest {fleets}" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert f"pytest {fleets}" in readme and "HYPOTHESIS_PROFILE=deep" in readme
