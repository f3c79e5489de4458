"""`ac-export generate`: synthetic data in the shape of the demo's sources, with its ground truth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pydantic

from ac_export import settings
from ac_export.synthetic.generate import generate
from ac_export.synthetic.options import GenerateOptions


def register(subparsers: Any) -> None:
    """Add the `generate` sub-command; every generator option becomes a flag of the same name."""
    parser = subparsers.add_parser(
        "generate",
        help="write deterministic synthetic source data (and its ground truth) at any size",
        description=(
            "Write DIR/sources/ (the six Contoso files), DIR/config/ (a copy of the project's YAML), "
            "DIR/truth.csv (which profile records are the same person) and DIR/manifest.json. "
            "The same options and seed always give byte-identical files."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output data folder")
    for name, field in GenerateOptions.model_fields.items():
        shown = "" if field.is_required() else f" (default: {field.default})"
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            required=field.is_required(),
            metavar=name.split("_")[-1].upper(),
            help=f"{field.description}{shown}",
        )
    parser.add_argument(
        "--config-from",
        type=Path,
        metavar="DIR",
        help="folder whose *.yaml files are copied to DIR/config (default: the project's configuration)",
    )
    parser.set_defaults(handler=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    """Validate the options, generate, and print where the data went and how long it took."""
    values = {name: getattr(args, name) for name in GenerateOptions.model_fields}
    try:
        options = GenerateOptions.model_validate({k: v for k, v in values.items() if v is not None})
    except pydantic.ValidationError as exc:
        print(f"ac-export generate: {describe_option_error(exc)}", file=sys.stderr)
        return 2
    try:
        result = generate(args.out, options, args.config_from or settings.config_dir())
    except OSError as exc:
        print(f"ac-export generate: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    total = sum(count for name, count in result.rows.items() if name.endswith(".txt"))
    print(
        f"wrote {total:,} source rows for {options.profiles:,} people to {result.out} ({result.seconds:.1f}s)"
    )
    for name, count in result.rows.items():
        print(f"  {name}: {count:,}")
    if not result.config_files:
        print("  (no config/*.yaml copied: point AC_EXPORT_CONFIG_DIR at a config folder of your own)")
    return 0


def describe_option_error(error: pydantic.ValidationError) -> str:
    """The first problem with the options as one line naming the flag, e.g. `--contact-share: ...`."""
    item = error.errors(include_url=False)[0]
    message = item["msg"].removeprefix("Value error, ")
    if not item["loc"]:
        return message
    flag = "--" + str(item["loc"][0]).replace("_", "-")
    return f"{flag}: {message} (got {item['input']!r})"
