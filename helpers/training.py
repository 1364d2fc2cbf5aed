"""Training aids: one line per epoch (no progress bars, no timings), and which recurrent
layers can run NVIDIA's fused cuDNN kernel on a GPU."""

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


def cudnn_compatible(layer) -> tuple[bool, str]:
    """Whether the arguments of an LSTM or GRU layer (or a Bidirectional one) allow Keras to
    use the fused cuDNN kernel on a GPU, and if not, which argument prevents it."""
    import keras

    if isinstance(layer, keras.layers.Bidirectional):
        layer = layer.forward_layer
    if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        return False, f"{type(layer).__name__} has no fused kernel (only LSTM and GRU do)"
    cell = layer.cell
    reasons = []
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    if keras.activations.serialize(cell.activation) != "tanh":
        reasons.append(f"activation={keras.activations.serialize(cell.activation)!r} (needs tanh)")
    if keras.activations.serialize(cell.recurrent_activation) != "sigmoid":
        name = keras.activations.serialize(cell.recurrent_activation)
        reasons.append(f"recurrent_activation={name!r} (needs sigmoid)")
    if cell.recurrent_dropout:
        reasons.append(f"recurrent_dropout={cell.recurrent_dropout} (needs 0)")
    if layer.unroll:
        reasons.append("unroll=True")
    if not cell.use_bias:
        reasons.append("use_bias=False")
    if isinstance(layer, keras.layers.GRU) and not cell.reset_after:
        reasons.append("reset_after=False")
    if reasons:
        return False, "prevented by " + ", ".join(reasons)
    needs = "tanh, sigmoid gates, biases, no recurrent_dropout, not unrolled"
    if isinstance(layer, keras.layers.GRU):
        needs += ", reset_after=True"
    return True, f"(it has what the kernel needs: {needs})"


def recurrent_layers(model: Any) -> list[Any]:
    """Every LSTM, GRU, SimpleRNN or RNN layer inside a model (nested models and
    Bidirectional wrappers included), in order."""
    import keras

    found, seen = [], set()

    def visit(layer: Any) -> None:
        if id(layer) in seen:
            return
        seen.add(id(layer))
        if isinstance(layer, keras.layers.Bidirectional):
            found.append(layer)
            return
        if isinstance(layer, keras.layers.RNN):
            found.append(layer)
            return
        for child in getattr(layer, "layers", None) or []:
            visit(child)
        for child in getattr(layer, "_layers", None) or []:
            visit(child)

    visit(model)
    return found


def fused_kernel_report(model: Any) -> str:
    """One line per recurrent layer of `model`: can it use the fused cuDNN kernel on a GPU,
    and if not, why; then whether this machine has a GPU to use it on."""
    import tensorflow as tf

    layers = recurrent_layers(model)
    if not layers:
        raise ValueError(f"{getattr(model, 'name', model)!r} has no recurrent layer to report on.")
    lines = []
    for layer in layers:
        ok, why = cudnn_compatible(layer)
        kind = type(layer).__name__
        if kind == "Bidirectional":
            kind = f"Bidirectional({type(layer.forward_layer).__name__})"
        lines.append(
            f"{kind} '{layer.name}': fused cuDNN kernel on a GPU: {'yes' if ok else 'no'} {why}"
        )
    if tf.config.list_physical_devices("GPU"):
        version = tf.sysconfig.get_build_info().get("cudnn_version", "unknown")
        lines.append(
            f"this machine has a GPU (TensorFlow built with cuDNN {version}): the layers "
            "marked yes run fused here"
        )
    else:
        lines.append("this machine has no GPU: every layer runs the step-by-step kernel here")
    return "\n".join(lines)
