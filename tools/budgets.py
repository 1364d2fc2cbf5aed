"""Time budgets per notebook, in seconds, on a 2-core CPU (from the units' issues)."""

BUDGETS_S: dict[str, dict[str, int]] = {
    "00_start_here": {"fast": 120, "full": 120},
    "01_memory_cell": {"fast": 90, "full": 300},
    "02_vanishing_gradients": {"fast": 90, "full": 300},
    "03_homemade_lstm": {"fast": 90, "full": 300},
    "04_sentiment_lstm": {"fast": 120, "full": 900},
    "05_time_series": {"fast": 90, "full": 600},
    "06_seq2seq_translation": {"fast": 120, "full": 1200},
    "07_music_composition": {"fast": 120, "full": 900},
}


def over_budget(stem: str, mode: str, seconds: float) -> int | None:
    """The budget if `seconds` exceeds it, else None."""
    budget = BUDGETS_S.get(stem, {}).get(mode)
    return budget if budget is not None and seconds > budget else None
