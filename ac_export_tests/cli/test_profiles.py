"""`ac-export unify-quality`: scores on a small project, and one clear line for every user mistake."""

from pathlib import Path

import pytest

from ac_export.cli import main
from ac_export_tests.profiles.fixtures import write_csv

SOURCES = """
profile_sources:
  crm:
    path: crm.csv
    primary_key: Id
    columns: {Mail: email}
  shop:
    path: shop.csv
    primary_key: Id
    columns: {Mail: email}
"""
UNIFY = "match_rules:\n  - name: same_email\n    conditions: [{attribute: email, normalize: [trim_case]}]\n"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "sources.yaml").write_text(SOURCES)
    (folder / "unify.yaml").write_text(UNIFY)
    write_csv(
        tmp_path / "crm.csv", ["Id", "Mail", "Person"], [["c1", "a@x.com", "P1"], ["c2", "b@x.com", "P2"]]
    )
    write_csv(
        tmp_path / "shop.csv", ["Id", "Mail", "Person"], [["s1", "A@x.com", "P1"], ["s2", "c@x.com", "P2"]]
    )
    return folder


def test_scores_against_truth_columns(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["unify-quality", "--config-dir", str(config_dir), "--truth", "crm=Person", "--truth", "shop=Person"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Unified 4 records from 2 sources into 3 profiles" in out
    assert "rule same_email (match): linked 2 records" in out
    lines = {line.split()[0]: line.split()[-1] for line in out.splitlines() if line.startswith("  ")}
    assert (lines["true"], lines["found"], lines["correct"]) == ("2", "1", "1")
    assert (lines["precision"], lines["recall"]) == ("1.00000", "0.50000")


def test_scores_a_truth_file_and_an_existing_warehouse(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = write_csv(
        tmp_path / "truth.csv",
        ["source", "source_key", "entity_id"],
        [["crm", "c1", "1"], ["shop", "s1", "1"]],
    )
    assert main(["unify-quality", "--config-dir", str(config_dir), "--truth-file", str(truth)]) == 0
    scores = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert ["precision", "1.00000"] in scores and ["recall", "1.00000"] in scores
    generated = write_csv(
        tmp_path / "generated.csv",
        ["file", "key", "person_id"],
        [["crm.csv", "c1", "7"], ["shop.csv", "s1", "7"]],
    )
    assert main(["unify-quality", "--config-dir", str(config_dir), "--truth-file", str(generated)]) == 0
    scores = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert ["true", "links", "1"] in scores and ["correct", "links", "1"] in scores
    code = main(
        [
            "unify-quality",
            "--config-dir",
            str(config_dir),
            "--truth-file",
            str(truth),
            "--warehouse",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "has no profiles/profile_sources; materialize unified_profiles first" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ([], "give the truth: --truth SOURCE=COLUMN"),
        (["--truth", "crm"], "write SOURCE=COLUMN"),
        (["--truth", "pos=Person"], "unknown profile source 'pos'"),
        (["--truth", "crm=Nope"], "--truth crm=Nope: "),
        (["--truth", "crm=Persn"], "has no column 'Persn'; did you mean 'Person'?"),
        (
            ["--truth", "crm=Id", "--truth", "shop=Id"],
            "--truth crm=Id --truth shop=Id: the truth cannot score",
        ),
        (["--truth", "crm=Mail"], "has its own entity id, so it links no two records"),
        (["--truth-file", "/nowhere.csv"], "file not found"),
        (["--truth-file", "{folder}/crm.csv"], "needs columns ['source', 'source_key', 'entity_id'] or"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(
    config_dir: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], says: str
) -> None:
    arguments = [a.replace("{folder}", str(config_dir.parent)) for a in arguments]
    assert main(["unify-quality", "--config-dir", str(config_dir), *arguments]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_broken_config_is_one_message(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (config_dir / "unify.yaml").write_text(UNIFY.replace("attribute: email", "attribute: emial"))
    assert main(["unify-quality", "--config-dir", str(config_dir), "--truth", "crm=Person"]) == 2
    err = capsys.readouterr().err
    assert "unify.yaml: 1 problem(s)" in err
    assert "match_rules[0].conditions[0].attribute: unknown attribute 'emial'" in err
    assert "Traceback" not in err
