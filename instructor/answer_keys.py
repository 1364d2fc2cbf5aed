"""Answer keys of the knowledge checks: the right letter and why, per unit and question.

Instructor-only: this file is not installed with the course package and never reaches the
student versions. The grader reads it in its own process; students see the explanations in
their feedback files after grading.
"""

from __future__ import annotations

# unit -> question -> (right letter, why it is right, {wrong letter: why it is wrong});
# the third part is optional.
ANSWERS: dict[str, dict[str, tuple]] = {
    "01_memory_cell": {
        "q1": (
            "c",
            "the hidden state h_t = f(h_(t-1), x_t) carries information from earlier steps, so "
            "earlier inputs change later outputs; a feed-forward net treats each input alone.",
            {
                "a": "features computed from each input on its own are what a feed-forward net "
                "does; the recurrence is over time steps.",
                "b": "the loop runs from one time step to the next, through the hidden state, not "
                "between the features of one input.",
                "d": "that is a feed-forward network; an RNN's state is its memory.",
            },
        ),
        "q2": (
            "a",
            "unrolling reuses one set of weights at every step (weight sharing), so the count "
            "does not grow with the sequence length; only computation and memory do.",
            {
                "b": "the unrolled drawing shows one copy per step, but they are one set of "
                "weights, stored once.",
                "c": "the batch size changes how many sequences are read at once, not the weights.",
            },
        ),
        "q3": (
            "b",
            "truncation stops the backward pass at the chunk border (the carried state is a "
            "constant there), which bounds memory and lets you update after every chunk, but "
            "no gradient links steps more than 20 apart.",
            {
                "a": "the forward pass still runs over the whole sequence: the state carried "
                "into each chunk holds the past, as section 8 showed.",
                "c": "the terms of steps before the chunk are missing: the gradient differs, by "
                "little here only because those terms had vanished anyway.",
                "d": "the chunks share one set of weights, as every step of an RNN does.",
            },
        ),
        "q4": (
            "d",
            "BPTT is ordinary backpropagation on the unrolled network; since the weights are "
            "shared, their gradient is the sum of the terms of all time steps. Every RNN, LSTM "
            "and GRU in Keras is trained with it.",
            {
                "a": "any recurrent layer, SimpleRNN and LSTM included, is trained with BPTT.",
                "b": "it is how every RNN is trained, in Keras too (with truncation for long "
                "sequences).",
                "c": "the weights are shared by all steps; BPTT sums each step's share of their "
                "gradient.",
            },
        ),
    },
    "02_vanishing_gradients": {
        "q1": (
            "d",
            "`clipnorm` works per weight array and `global_clipnorm` on all of them together; "
            "only one common factor keeps the update's direction, as the notebook measured.",
            {
                "a": "`clipnorm` clips each array on its own, so arrays are scaled by different "
                "factors and the direction changes.",
                "b": "that is `clipnorm`; `global_clipnorm` uses the norm of all gradients "
                "together.",
                "c": "clipping only scales down gradients above the limit; smaller ones are "
                "left as they are.",
            },
        ),
        "q2": (
            "c",
            "each earlier step's term carries one more factor w, so the early "
            "steps' share vanishes; the sum itself is dominated by the last few steps and stays of "
            "order one. That is what 'vanishing gradient' means for learning long dependencies.",
            {
                "a": "with w < 1 the terms shrink; they grow only for w > 1.",
                "b": "the recent terms do not shrink, so the sum does not go to zero; only the "
                "early steps' part of it does.",
                "d": "the loss does not depend on the sequence length this way.",
            },
        ),
        "q3": (
            "a",
            "a product of 50 factors of size up to 1.5 can reach 1.5^50; in practice tanh' < 1 "
            "damps it, but with large weights gradients explode, and clipping keeps such an update "
            "from wrecking the weights.",
            {
                "b": "factors larger than 1 make the product grow, not shrink.",
                "c": "W_h is used at every step, so the gradient meets it once per step.",
                "d": "tanh' <= 1 can only damp the growth; with W_h's factor of 1.5 it need not "
                "stop it.",
            },
        ),
    },
    "03_homemade_lstm": {
        "q1": (
            "a",
            "an LSTM keeps a cell state that gates protect, so information (and gradients) "
            "survive many steps.",
            {
                "b": "an LSTM step does more work than a plain RNN step (four gate blocks), so it "
                "is slower, not faster.",
                "c": "update and reset gates are the GRU's; the LSTM has forget, input and output "
                "gates.",
                "d": "the advantage is practical: unit 02 measured an LSTM learning a 100-step "
                "lag that a SimpleRNN could not.",
            },
        ),
        "q2": (
            "b",
            "reset_after=True applies the reset gate after the recurrent matrix product (the "
            "cuDNN convention) and keeps a second bias; the notebook measured that the two "
            "conventions give different outputs with the same weights.",
            {
                "a": "the notebook measured different outputs with the same weights.",
                "c": "reset_after is about the reset gate, not the update gate.",
                "d": "resetting states between batches is `stateful`'s business, not "
                "reset_after's.",
            },
        ),
        "q3": (
            "c",
            "C_t = f_t * C_(t-1) + i_t * C~_t: with the forget gate near 1 and the input gate near "
            "0, C_t stays as it was, and no matrix multiplies it, unlike h in a plain RNN.",
            {
                "a": "no weight matrix multiplies C_t; repeated matrix products are what make a "
                "plain RNN's gradients vanish or explode.",
                "b": "C_t holds a fixed number of values (units), whatever the sequence length.",
                "d": "the output is h_t = o_t * tanh(C_t), not C_t.",
            },
        ),
        "q4": (
            "d",
            "a GRU has 3 weight blocks where an LSTM has 4 and keeps one state h_t; its update "
            "gate mixes old and new state, doing the forget and input gates' work together.",
            {
                "a": "that describes neither: the LSTM has three gates plus a candidate and a "
                "cell state; the GRU has two gates and no cell state.",
                "b": "a GRU's update gate lets it keep its state over many steps, like an LSTM.",
                "c": "a GRU also merges the cell state into h and uses a reset gate on the "
                "candidate: it is not an LSTM minus one gate.",
            },
        ),
    },
    "04_sentiment_lstm": {
        "many-to-one": (
            "c",
            "the LSTM reads every word and only its last hidden "
            "state goes to the Dense layer: many-to-one, the "
            "architecture the lectures use for sentiment.",
            {
                "b": "one output per word would be many-to-many; the review has one label.",
                "d": "a feed-forward network has no steps; the LSTM reads the review word by word.",
            },
        ),
        "baseline": (
            "a",
            "words and pairs such as 'waste of' or 'not good' carry much of a review's "
            "sentiment, and a linear model over 20,000 reviews weighs them well; what an RNN "
            "adds, order over longer stretches, must be measured against it (section 2).",
            {
                "b": "it keeps only two-word order and has no steps: each review is one vector.",
                "c": "nothing here is pre-trained; TF-IDF is computed from the training reviews.",
                "d": "its C is chosen on validation reviews of other movies, and it is tested "
                "on the test reviews like the RNN.",
            },
        ),
        "mask": (
            "d",
            "with the mask the LSTM carries its state unchanged through "
            "padded steps, so its output is the state after the review's "
            "last word; without it, hundreds of padding steps can wash the "
            "review out of the state (the no-mask experiment).",
            {
                "a": "the no-mask experiment shows training itself fails without it.",
                "c": "id 0 still has an embedding row; the mask tells later layers to skip it.",
            },
        ),
        "movies": (
            "b",
            "all reviews of a movie are on one side of IMDB's train/test split; a random "
            "validation slice shares movies with training, and a model can score on it by "
            "recognising a movie rather than reading the opinion.",
            {
                "a": "both splits are close to half positive; the labels are not the reason.",
                "d": "how many reviews are trained on, not which, sets an epoch's cost.",
            },
        ),
    },
    "05_time_series": {
        "q1": (
            "a",
            "interpolating uses the reading after the gap, so the last hours of an input "
            "window would hold values computed from the future; a forecast may use the past "
            "only.",
            {
                "b": "pandas interpolates gaps of any length; the problem is where the values "
                "come from.",
                "c": "a carried-forward value is usually less accurate than an interpolated "
                "one; it is used because it is honest, not because it is better.",
            },
        ),
        "q2": (
            "c",
            "for a target 24 h after the window's last hour, the same hour the day before is "
            "that last hour: the two baselines are one forecast, hour by hour.",
            {
                "a": "the errors are not just about equal, they are identical hour by hour.",
                "d": "the daily cycle is clearly there (section 1), in every season.",
            },
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
            "d",
            "the plain decoder starts from the encoder's final state "
            "and sees nothing else of the source; attention adds access "
            "to every encoder output.",
            {"a": "that is what attention adds; the plain decoder sees only the final state."},
        ),
        "q2": (
            "a",
            "with teacher forcing every step is trained from the true "
            "prefix, so the whole sentence is one parallel pass; at "
            "inference the true words are unknown and the decoder must "
            "read its own predictions.",
            {"c": "that is inference (greedy decoding), not teacher forcing."},
        ),
        "q3": (
            "c",
            "a word the encoder did not know (a name, a rare word) has no French word in the "
            "model either, so copying it is the best guess; a common word the model failed to "
            "translate is not copied, so the French gets no English word by mistake.",
            {
                "a": "copying every most-attended word put English words such as 'add' into "
                "French sentences; only unknown words are copied.",
                "b": "an [UNK] whose source is a name is replaced: that is how names pass through.",
                "d": "the same translations are printed and scored; the table shows BLEU with "
                "and without the copy step.",
            },
        ),
        "q4": (
            "b",
            "if one translation of a sentence were in training and another in the test set, "
            "the model could recall the sentence instead of translating it.",
            {"d": "BLEU accepts several references; the test keeps all of them."},
        ),
    },
    "07_music_composition": {
        "q1": (
            "d",
            "the true next soprano note is information about the step being predicted; the "
            "baseline has none. Feeding the alto head the model's own soprano choice (history "
            "only) compares both on the same information.",
            {
                "a": "the alto head also gets the true next soprano note, which is part of the "
                "step it predicts; the baseline reads the history only.",
                "b": "the baseline repeats the alto's own last note; it is given no soprano note.",
                "c": "section 4 counts it: the lower voices move far more often when the soprano "
                "moves.",
            },
        ),
        "q2": (
            "a",
            "a re-harmonised tune brings its melody (and often much of its harmony) from training "
            "into test; grouping by tune keeps the test on music the model has not seen.",
            {
                "b": "the sets are sized by their share of chorales, not made equal in tunes.",
                "c": "the tunes are compared without regard to key; the key plays no part in the "
                "model's input rules.",
                "d": "two settings of one tune may both be in the test set; what matters is that "
                "none of them is in training.",
            },
        ),
        "q3": (
            "c",
            "dividing the log-probabilities by a temperature below 1 "
            "sharpens the distribution towards its top choice; above 1 "
            "flattens it. The model stays the same.",
            {
                "a": "temperature only reshapes the distribution you draw from; the weights stay.",
                "b": "that is a temperature above 1, which flattens the distribution.",
                "d": "it is applied when sampling, after training, and changes every draw.",
            },
        ),
        "q4": (
            "b",
            "h_t = f(h_(t-1), x_t): the state is the LSTM's memory of the whole history, so "
            "carrying it replaces re-reading the piece, with one LSTM step per new chord.",
            {
                "a": "the notebook checks it: the carried state gives the full re-run's "
                "probabilities up to rounding.",
                "c": "the Conv1D sees four chords; the LSTM's state reaches back to the start.",
                "d": "the heads only read h_t and the voices above; the memory is the LSTM's "
                "state.",
            },
        ),
    },
}
