"""`ac-export generate` from the command line: flags, output and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ac_export import synthetic
from ac_export.cli import main
from ac_export.synthetic.generate import MANIFEST_FILE, SOURCE_FILES, SOURCES_DIR, TRUTH_FILE
from ac_export.synthetic.options import GenerateOptions


def test_generate_writes_a_complete_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config_in"
    config.mkdir()
    (config / "sources.yaml").write_text("profile_sources: {}\n")
    out = tmp_path / "data"
    argv = ["generate", "--out", str(out), "--profiles", "120", "--seed", "4", "--duplicate-rate", "0.5"]
    code = main([*argv, "--config-from", str(config), "--start-date", "2018-01-01"])
    assert code == 0
    assert all((out / SOURCES_DIR / name).exists() for name in SOURCE_FILES)
    assert (out / TRUTH_FILE).exists() and (out / "config" / "sources.yaml").exists()
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["options"]["seed"] == 4
    assert manifest["options"]["duplicate_rate"] == 0.5
    assert manifest["options"]["start_date"] == "2018-01-01"
    assert "120 people" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--contact-share", "1.5"], "--contact-share: Input should be less than or equal to 1"),
        (["--missing-email-rate", "0.7", "--invalid-email-rate", "0.6"], "must not exceed 1"),
        (["--start-date", "2020-01-01", "--end-date", "2019-01-01"], "is after end_date"),
        (["--reviews-mean", "lots"], "--reviews-mean: Input should be a valid number"),
    ],
)
def test_bad_options_fail_with_one_line_and_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    code = main(["generate", "--out", str(tmp_path / "data"), "--profiles", "10", *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "data").exists()


def test_unwritable_output_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["generate", "--out", str(blocker / "data"), "--profiles", "10"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("ac-export generate: cannot write") and err.count("\n") == 1


def test_readme_documents_every_flag() -> None:
    readme = (Path(synthetic.__file__).parent / "README.md").read_text(encoding="utf-8")
    missing = [name for name in GenerateOptions.model_fields if "--" + name.replace("_", "-") not in readme]
    assert missing == []
