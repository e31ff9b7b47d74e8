"""Execute the notebooks in place, as they are committed:
``python -m tests.notebooks.execute [NAME ...]`` (the same as
``jupyter nbconvert --to notebook --execute --inplace``)."""

from __future__ import annotations

import sys

import nbformat
from nbclient import NotebookClient

from tests.notebooks.test_notebooks import NOTEBOOKS, stripped


def main(names: list[str]) -> None:
    for path in NOTEBOOKS:
        if names and path.stem not in names:
            continue
        book = stripped(nbformat.read(path, as_version=4))
        NotebookClient(
            book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        nbformat.write(book, path)
        print(f"executed {path.name}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
