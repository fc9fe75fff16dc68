import torch

from synth import viz


def test_table_markdown_and_file(tmp_path):
    text = viz.table(["model", "clean %", "note"], [["a", 81.234, "x"], ["b", 7, "y"]], path=tmp_path / "t" / "m.md")
    lines = text.splitlines()
    assert lines[0] == "| model | clean % | note |"
    assert lines[1] == "| --- | ---: | --- |"
    assert lines[2] == "| a | 81.23 | x |" and lines[3] == "| b | 7 | y |"
    assert (tmp_path / "t" / "m.md").read_text() == text
    assert viz.table(["log p(y|x)"], [["a|b"]]).splitlines()[::2] == ["| log p(y\\|x) |", "| a\\|b |"]


def test_grid_saves_a_figure(tmp_path):
    fig = viz.grid(torch.rand(6, 3, 8, 8), 2, row_titles=["a", "b"], col_titles=["1", "2", "3"], path=tmp_path / "g.png")
    assert (tmp_path / "g.png").stat().st_size > 0 and len(fig.axes) == 6
