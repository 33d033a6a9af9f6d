"""The `idlib-kg` command: argparse subcommands contributed by the modules they belong to.

Each module in COMMAND_MODULES exposes `register(subparsers)`, which adds its subparser and
sets `func` (a callable taking the parsed args and returning the exit code). A listed module
that does not exist (yet) is skipped, so commands can be listed before they are written; any
other import error is raised. Exit codes: 0 success, 1 failure while running, 2 bad usage or
bad input (argparse's own code for usage errors).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from idlib_kg import __version__

COMMAND_MODULES = (
    "idlib_kg.app",        # serve
    "idlib_kg.executor",   # query
    "idlib_kg.loader",     # load
    "idlib_kg.reasoning",  # reason
    "idlib_kg.export",     # export
    "idlib_kg.links",      # links
    "idlib_kg.corpus",     # corpus
    "idlib_kg.docs",       # docs
    "idlib_kg.validate",   # validate
    "idlib_kg.bench",      # bench
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idlib-kg", description="The idlib-kg knowledge graph: serve, query and build it.")
    parser.add_argument("--version", action="version", version=f"idlib-kg {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue
            raise
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # The reader went away (`idlib-kg export | head`): say nothing more, and exit as a
        # program stopped by SIGPIPE would (128 + 13), not with a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
