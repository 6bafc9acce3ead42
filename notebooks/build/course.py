"""What every course notebook's builder shares: cell helpers, the Colab badge and install cell, and writing.

A builder does ``nb = CourseNotebook("05_paint_by_word"); md, code = nb.md, nb.code``, adds its cells
(``nb.install_cell()`` before its ``USE_PRETRAINED`` switch) and ends with ``nb.write()``.
"""

from pathlib import Path

import nbformat as nbf
from references import REFERENCES

INSTALL = '''# In Google Colab, install latentlab first (anywhere else this cell does nothing). It installs the release this
# notebook was written for; Colab does not need a restart afterwards (if a later cell says "No module named latentlab",
# use Runtime → Restart session and run again). The explorers are ipywidgets: Colab renders them once its custom
# widget manager is on, which this cell turns on.
import sys
if "google.colab" in sys.modules:
    %pip install -q "latentlab-kit @ git+https://github.com/latentlab/latentlab@v0.2.0"
    from google.colab import output
    output.enable_custom_widget_manager()'''
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

    def finding(self, template: str) -> None:
        """A sentence that states measured figures, rendered from the notebook's variables so that it cannot contradict
        them: ``template`` is the body of an f-string (markdown), e.g. ``"FID is **{fid:.1f}**, {fid / floor:.1f}× the floor."``"""
        cell = nbf.v4.new_code_cell(f'display(Markdown(f"""{template.strip()}"""))')
        cell.metadata["tags"] = ["finding"]
        self.cells.append(cell)

    def exercise(self, title: str, task: str, hint: str, solution: str) -> None:
        """An exercise: the task, a collapsible hint, and a solution cell that is collapsed in JupyterLab and
        Notebook 7 (and run, like every cell, by the notebook test)."""
        self.exercises = getattr(self, "exercises", 0) + 1
        self.md(f"""**Exercise {self.exercises} — {title}.** {task.strip()}

<details><summary>Hint</summary>

{hint.strip()}

</details>""")
        cell = nbf.v4.new_code_cell(f"# Solution to exercise {self.exercises} (expand to read)\n" + solution.strip())
        cell.metadata["tags"] = ["solution"]
        cell.metadata["jupyter"] = {"source_hidden": True}
        self.cells.append(cell)

    def references(self, *keys: str) -> None:
        """The notebook's reference list (keys of :data:`references.REFERENCES`)."""
        unknown = [k for k in keys if k not in REFERENCES]
        if unknown:
            raise KeyError(f"unknown reference keys {unknown}; known: {sorted(REFERENCES)}")
        self.md("## References\n\n" + "\n".join(f"- {REFERENCES[k]}" for k in keys))

    def install_cell(self) -> None:
        """The cell that installs latentlab in Colab and does nothing elsewhere."""
        self.code(INSTALL)

    def write(self) -> Path:
        path = Path(__file__).resolve().parents[1] / f"{self.name}.ipynb"
        nbf.write(nbf.v4.new_notebook(cells=self.cells, metadata=METADATA), path)
        return path
