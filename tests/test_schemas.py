"""The schema copies in tests/schemas are DESIGN.md's, byte for byte."""

from __future__ import annotations

import pytest
from conftest import DESIGN_SCHEMAS, SCHEMAS


def test_schemas_match_the_design() -> None:
    if not DESIGN_SCHEMAS.is_dir():
        pytest.skip(f"no design schemas beside this checkout ({DESIGN_SCHEMAS})")
    originals = sorted(p.name for p in DESIGN_SCHEMAS.glob("*.json"))
    assert originals == sorted(p.name for p in SCHEMAS.glob("*.json"))
    for name in originals:
        assert (SCHEMAS / name).read_bytes() == (DESIGN_SCHEMAS / name).read_bytes(), name
