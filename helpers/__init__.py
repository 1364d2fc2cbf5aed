"""Helpers for the notebooks of the RNN course: `import helpers; helpers.setup()`."""

from helpers import checks, quiz
from helpers.data import DataUnavailableError, extract, fetch, shipped_file, where_is
from helpers.environment import in_colab, is_fast, pick, setup
from helpers.plots import plot_history
from helpers.results import record
from helpers.training import epoch_log, fused_kernel_report

__all__ = [
    "DataUnavailableError",
    "epoch_log",
    "fused_kernel_report",
    "checks",
    "quiz",
    "extract",
    "fetch",
    "in_colab",
    "is_fast",
    "pick",
    "plot_history",
    "record",
    "setup",
    "shipped_file",
    "where_is",
]
