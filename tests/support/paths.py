"""Where the project's files are, for tests in any folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TEMPLATES_DIR = ROOT / "templates"
EXAMPLE = ROOT / "examples" / "registration_2019_2020.toml"
