"""What every course notebook's builder shares: cell helpers, the Colab badge and install cell, and writing.

A builder does ``nb = CourseNotebook("05_paint_by_word"); md, code = nb.md, nb.code``, adds its cells
(``nb.install_cell()`` before its ``USE_PRETRAINED`` switch) and ends with ``nb.write()``.
"""

from pathlib import Path

import nbformat as nbf

INSTALL = '''# In Google Colab, install latentlab first (anywhere else this cell does nothing).
import sys
if "google.colab" in sys.modules:
    %pip install -q "latentlab @ git+https://github.com/latentlab/latentlab"'''
METADATA = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, "language_info": {"name": "python"}}


class CourseNotebook:
    """Cells of one notebook ``notebooks/<name>.ipynb``."""

    def __init__(self, name: str):
        self.name, self.cells = name, []

    @property
    def badge(self) -> str:
        """The "Open in Colab" badge, as a markdown line."""
        return ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                f"(https://colab.research.google.com/github/latentlab/latentlab/blob/main/notebooks/{self.name}.ipynb)")

    def md(self, text: str) -> None:
        self.cells.append(nbf.v4.new_markdown_cell(text.strip()))

    def code(self, text: str, ignore_output: bool = False) -> None:
        cell = nbf.v4.new_code_cell(text.strip())
        if ignore_output:  # widget views and other outputs that differ from run to run
            cell.metadata["tags"] = ["nbval-ignore-output"]
        self.cells.append(cell)

    def install_cell(self) -> None:
        """The cell that installs latentlab in Colab and does nothing elsewhere."""
        self.code(INSTALL)

    def write(self) -> Path:
        path = Path(__file__).resolve().parents[1] / f"{self.name}.ipynb"
        nbf.write(nbf.v4.new_notebook(cells=self.cells, metadata=METADATA), path)
        return path
