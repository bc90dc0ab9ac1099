"""Command line: `python cli.py --help`. Each sub-command lives next to the code it drives."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

# Modules exposing `register(subparsers)`; each adds its sub-commands with `set_defaults(func=...)`.
# The func takes the parsed args and returns an exit code.
COMMAND_MODULES: tuple[str, ...] = (
    "adapters.chat_cli",
    "core.privacy.cli_commands",
    "services.knowledge.cli_commands",
    "services.audit.cli_commands",
    "adapters.acs.cli_commands",
    "recognizers.cli_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="Contoso voicebot tools")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
