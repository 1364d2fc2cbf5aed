"""Answer keys of the knowledge checks: the right letter and why, per unit and question.

Instructor-only: this file is not installed with the course package and never reaches the
student versions. The grader reads it in its own process; students see the explanations in
their feedback files after grading.
"""

from __future__ import annotations

ANSWERS: dict[str, dict[str, tuple[str, str]]] = {
    "01_memory_cell": {
        "q1": (
            "c",
            "the hidden state h_t = f(h_(t-1), x_t) carries information from "
            "earlier steps, so earlier inputs change later outputs; a "
            "feed-forward net treats each input alone.",
        ),
        "q2": (
            "a",
            "unrolling reuses one set of weights at every step (weight "
            "sharing), so the count does not grow with the sequence length; "
            "only computation and memory do.",
        ),
        "q3": (
            "b",
            "BPTT is ordinary backpropagation on the unrolled network; since "
            "the weights are shared, their gradient is the sum of the terms of "
            "all time steps. Every RNN, LSTM and GRU in Keras is trained with "
            "it.",
        ),
    },
    "02_vanishing_gradients": {
        "q1": (
            "b",
            "its gated cell state carries information (and gradient) "
            "over many steps, as the long-lag task shows; update and "
            "reset gates belong to the GRU.",
        ),
        "q2": (
            "b",
            "exploding gradients give huge updates; clipping caps the "
            "size of each update while keeping its direction (a smaller "
            "learning rate helps too).",
        ),
        "q3": (
            "b",
            "a vanishing gradient means tiny weight updates from that "
            "step's influence, so early inputs stop mattering; gated "
            "cells (LSTM, GRU) keep this gradient alive.",
        ),
    },
    "03_homemade_lstm": {
        "q1": (
            "b",
            "an LSTM keeps a cell state that gates protect, so information "
            "(and gradients) survive many steps. Update and reset gates are "
            "the GRU's; an LSTM is slower than a plain RNN (four gates per "
            "step), and its advantage is measured, not theoretical.",
        ),
        "q2": (
            "b",
            "C_t = f_t * C_(t-1) + i_t * C~_t: with the forget gate near 1 "
            "and the input gate near 0, C_t stays as it was; no matrix "
            "multiplies it, unlike h in a plain RNN. It holds a fixed number "
            "of values, not the sequence, and the output is h_t.",
        ),
        "q3": (
            "a",
            "a gate multiplies a value element by element: 0 blocks it, 1 "
            "lets it all through. tanh, between -1 and 1, is used for the "
            "values themselves (the candidate and the squashed cell state).",
        ),
        "q4": (
            "b",
            "a GRU has 3 weight blocks where an LSTM has 4, and keeps one "
            "state h_t. Its update gate z_t mixes old and new state, doing "
            "the work of the forget and input gates together; on many tasks "
            "it performs about as well as an LSTM. Fewer weights often make "
            "it faster, but measure: section 8 times both.",
        ),
    },
    "04_sentiment_lstm": {
        "many-to-one": (
            "b",
            "the LSTM reads every word and only its last hidden "
            "state goes to the Dense layer: many-to-one, the "
            "architecture the lectures use for sentiment.",
        ),
        "lstm": (
            "c",
            "the cell state, changed only by the forget and input gates, "
            "carries information (and gradients) over many steps; update "
            "and reset gates belong to the GRU, and the advantage is "
            "practical, as the comparison table here shows.",
        ),
        "mask": (
            "b",
            "with the mask the LSTM carries its state unchanged through "
            "padded steps, so its output is the state after the review's "
            "last word; without it, hundreds of padding steps can wash the "
            "review out of the state (the no-mask experiment).",
        ),
        "bptt": (
            "c",
            "model.fit unrolls the LSTM over the review and "
            "back-propagates through every step: that is BPTT, used for "
            "every recurrent layer here.",
        ),
    },
    "05_time_series": {
        "q1": (
            "b",
            "an RNN updates a hidden state h_t = f(h_(t-1), x_t) at every step; "
            "that memory lets the hours it has read shape its forecast.",
        ),
        "q2": (
            "c",
            "the cell state, changed only by the gates, lets information and "
            "gradients survive many steps; update and reset gates are the "
            "GRU's.",
        ),
        "q3": (
            "d",
            "the reasons are sequential dependencies, variable-length input and "
            "memory of past steps, and that they can output probabilistic "
            "forecasts with uncertainty; no model makes the weather certain "
            "(see our 24-hour errors).",
        ),
        "q4": (
            "b",
            "statistics of later periods would tell the model something about "
            "the future it is judged on; a real forecast cannot use them.",
        ),
    },
    "06_seq2seq_translation": {
        "q1": (
            "b",
            "the plain decoder starts from the encoder's final state "
            "and sees nothing else of the source; attention adds access "
            "to every encoder output (a).",
        ),
        "q2": (
            "a",
            "with teacher forcing every step is trained from the true "
            "prefix, so the whole sentence is one parallel pass; at "
            "inference the true words are unknown and the decoder must "
            "read its own predictions (c).",
        ),
        "q3": (
            "b",
            "the cell state with its gates lets gradients flow across "
            "many steps; update and reset gates (c) belong to the GRU.",
        ),
        "q4": (
            "c",
            "model.fit on the encoder-decoder unrolls both LSTMs over "
            "the sentence and backpropagates through every time step: "
            "that is BPTT.",
        ),
    },
    "07_music_composition": {
        "q1": (
            "b",
            "an RNN keeps a hidden state h_t = f(h_(t-1), x_t); here it "
            "is how the model knows which chord and which beat it is in "
            "when it predicts the next step.",
        ),
        "q2": (
            "c",
            "the forget, input and output gates let the cell state carry "
            "information over many steps; update and reset gates belong "
            "to the GRU.",
        ),
        "q3": (
            "b",
            "dividing the log-probabilities by a temperature below 1 "
            "sharpens the distribution towards its top choice; above 1 "
            "flattens it. The model stays the same.",
        ),
    },
}
