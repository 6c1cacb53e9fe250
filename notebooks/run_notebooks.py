"""Executes every notebook in this folder (or those named on the command line) with nbclient.

Each notebook runs with `notebooks/` as its working directory, with CLV_DATASETS and CLV_BIN made
absolute first (CI passes them relative to the repository root). A cell error or a timeout fails
the notebook; the script prints which cell failed and exits non-zero if any notebook failed.
The last line is `notebooks: N passed, M failed`, the summary CI looks for.
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

HERE = Path(__file__).resolve().parent


def absolutize_env(name: str) -> None:
    """Resolves a relative path in an env var against the runner's working directory."""
    value = os.environ.get(name)
    if value:
        os.environ[name] = str(Path(value).resolve())


def failing_cell(nb) -> str:
    """Describes the first cell whose outputs hold an error, for the failure message."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                return f"cell {index} ({first_line[:70]!r}): {out.get('ename')}: {out.get('evalue')}"
    return "no cell recorded an error"


def tail(err: Exception, lines: int = 25) -> str:
    """The end of an error's traceback, without the terminal colour codes IPython adds."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).rstrip().splitlines()
    return "\n".join(text[-lines:])


def run(path: Path, timeout: int, save_dir: Path | None) -> bool:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(HERE)}},
    )
    start = time.monotonic()
    try:
        client.execute()
    except CellTimeoutError as err:
        print(f"FAIL {path.name}: a cell ran longer than {timeout} s\n{err}", file=sys.stderr)
        return False
    except (CellExecutionError, DeadKernelError) as err:
        print(f"FAIL {path.name}: {failing_cell(nb)}\n{tail(err)}", file=sys.stderr)
        return False
    finally:
        if save_dir is not None:
            save_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, save_dir / path.name)
    print(f"ok   {path.name} ({time.monotonic() - start:.1f} s)")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every *.ipynb here")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument(
        "--save-executed", type=Path, metavar="DIR", help="write the executed notebooks here"
    )
    args = parser.parse_args()
    for name in ("CLV_DATASETS", "CLV_BIN"):
        absolutize_env(name)
    paths = args.notebooks or sorted(HERE.glob("*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        print("notebooks: 0 passed, 1 failed")
        return 1
    results = [run(p.resolve(), args.timeout, args.save_executed) for p in paths]
    passed = sum(results)
    print(f"notebooks: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
