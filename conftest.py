"""Root pytest hooks: nbval compares checked cells without their stderr.

Under pytest, ipykernel does not capture the C-level stderr that Jupyter saves, and
warnings differ between machines, so stderr is never part of the comparison.
"""


def pytest_collectstart(collector):
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
