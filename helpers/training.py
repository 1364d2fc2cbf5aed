"""Compact training output: one line per epoch, the metrics only (no progress bars, no timings)."""

from __future__ import annotations

from typing import Any


def epoch_log(every: int = 1) -> Any:
    """A Keras callback that prints `epoch 3/6: loss 0.4087, val_loss 0.4245, ...`.

    Use it with `verbose=0`: `model.fit(..., verbose=0, callbacks=[helpers.epoch_log()])`.
    `every` prints one epoch in so many (the last one always).
    """
    import keras

    class EpochLog(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            total = self.params.get("epochs", 0)
            if (epoch + 1) % every and epoch + 1 != total:
                return
            metrics = ", ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items())
            print(f"epoch {epoch + 1}/{total}: {metrics}")

    return EpochLog()
