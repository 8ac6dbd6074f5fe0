"""ETL fixtures: a base warehouse (small hand-written delivery) built once per
module, and a fresh copy of it for every test that changes it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.etl import helpers


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory) -> Path:
    """A data directory with the base delivery loaded (do not modify; use ``wh``)."""
    root = tmp_path_factory.mktemp("etl-base")
    delivery = helpers.write_base_delivery(root / "leverans")
    data_dir = root / "var"
    result = helpers.load(data_dir, delivery)
    assert not result.any_rejected, [(f.name, f.message) for f in result.files]
    return data_dir


@pytest.fixture
def wh(base_warehouse, tmp_path) -> Path:
    """A private copy of the base warehouse's data directory."""
    target = tmp_path / "var"
    shutil.copytree(base_warehouse, target)
    return target


@pytest.fixture
def files(tmp_path) -> Path:
    folder = tmp_path / "filer"
    folder.mkdir()
    return folder
