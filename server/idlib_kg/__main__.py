"""`python -m idlib_kg ...` is the same as the `idlib-kg` command."""

from idlib_kg.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
