"""The trimmed descriptions on disk are exactly what ``trim_specs.py`` makes of Zoom's documents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.contract import trim_specs
from tests.contract.validator import SPEC_FILES, load_contract

# Zoom's full documents live beside the repository in development and CI, never in it.
SOURCE_DIR = Path(
    os.environ.get(
        "ZOOM_API_SPEC_SOURCES",
        Path(__file__).resolve().parents[3] / "shared" / "zoom-api",
    )
)


@pytest.mark.skipif(not SOURCE_DIR.is_dir(), reason=f"{SOURCE_DIR} (Zoom's documents) is absent")
def test_trimmed_specs_match_what_the_script_makes_from_the_sources() -> None:
    expected = trim_specs.trimmed_documents(SOURCE_DIR)

    for relative, text in expected.items():
        on_disk = (trim_specs.OUTPUT_DIR / relative).read_text(encoding="utf-8")
        assert on_disk == text, (
            f"{relative} drifted; run: .venv/bin/python tests/contract/trim_specs.py {SOURCE_DIR}"
        )


def test_validator_loads_every_trimmed_spec() -> None:
    assert set(SPEC_FILES) == set(trim_specs.OPERATIONS)

    contract = load_contract()

    kept = {
        (relative, method, path)
        for relative, paths in trim_specs.OPERATIONS.items()
        for path, methods in paths.items()
        for method in methods
    }
    indexed = {(op.spec_file, op.method, op.template) for _, op in contract.operations}
    assert indexed == kept
