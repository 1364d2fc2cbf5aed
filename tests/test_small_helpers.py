"""Checks, results, quiz and plots: the small shared helpers."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from helpers import checks, epoch_log, plots, quiz, results  # noqa: E402


def test_expect_array_passes_and_explains_failures():
    expected = np.arange(6.0).reshape(2, 3)
    checks.expect_array(expected + 1e-9, expected, name="h")
    with pytest.raises(checks.CheckFailed, match=r"shape \(3, 2\), expected \(2, 3\)"):
        checks.expect_array(expected.T, expected, name="h")
    wrong = expected.copy()
    wrong[1, 2] = 9
    with pytest.raises(checks.CheckFailed, match=r"at index \(1, 2\) it is 9"):
        checks.expect_array(wrong, expected, name="h")
    with pytest.raises(checks.CheckFailed, match="forget to `return`"):
        checks.expect_array(None, expected, name="h")
    with pytest.raises(checks.CheckFailed, match="NaN"):
        checks.expect_array(np.full((2, 3), np.nan), expected, name="h")


def test_call_student_turns_the_stub_into_advice():
    def stub():
        raise NotImplementedError

    with pytest.raises(checks.CheckFailed, match="not written yet"):
        checks.call_student(stub, what="forward_step")
    with pytest.raises(checks.CheckFailed, match="raised ZeroDivisionError"):
        checks.call_student(lambda: 1 / 0, what="forward_step")
    assert checks.call_student(lambda x: x + 1, 1, what="f") == 2


def test_check_failed_shows_without_traceback():
    error = checks.CheckFailed("h has the wrong shape")
    assert error._render_traceback_() == ["Not yet: h has the wrong shape"]


def test_expect_shape_message():
    checks.expect_shape(np.zeros((4, 5)), (None, 5), name="x")
    with pytest.raises(ValueError, match=r"should have shape \(any, 3\), but has shape \(4, 5\)"):
        checks.expect_shape(np.zeros((4, 5)), (None, 3), name="x")


def test_record_merges_into_the_results_file(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    monkeypatch.setenv(results.RESULTS_ENV, str(target))
    results.record(accuracy=np.float32(0.5), shape=(2, 3))
    results.record(name="LSTM", nested={"a": np.int64(3)})
    assert json.loads(target.read_text()) == {
        "accuracy": 0.5,
        "shape": [2, 3],
        "name": "LSTM",
        "nested": {"a": 3},
    }
    with pytest.raises(TypeError, match="not object"):
        results.record(bad=object())


def test_record_without_runner_does_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert results.record(x=1) is None
    assert list(tmp_path.iterdir()) == []


QUESTIONS = [
    quiz.Question("q1", "An RNN is", {"a": "memoryless", "b": "a net with memory"}),
    quiz.Question("q2", "BPTT is", {"a": "for GRUs only", "b": "gradient training"}),
]


def test_quiz_records_valid_answers_and_explains_invalid_ones(capsys):
    quiz.show(QUESTIONS)
    assert "[q1] An RNN is" in capsys.readouterr().out
    quiz.check(QUESTIONS, {"q1": "b", "q2": "A)"})
    assert "Recorded: 2 answers" in capsys.readouterr().out
    with pytest.raises(checks.CheckFailed, match="q2: 'c' is not one of a, b"):
        quiz.check(QUESTIONS, {"q1": "b", "q2": "c"})
    with pytest.raises(checks.CheckFailed, match="no answer yet for q2"):
        quiz.check(QUESTIONS, {"q1": "b"})
    with pytest.raises(checks.CheckFailed, match="should be a dict"):
        quiz.check(QUESTIONS, ["b", "b"])
    with pytest.raises(checks.CheckFailed, match="there is no question q9"):
        quiz.check(QUESTIONS, {"q1": "b", "q2": "a", "q9": "a"})
    with pytest.raises(checks.CheckFailed, match="no answers yet"):
        quiz.check(QUESTIONS, None)


def test_plot_history_draws_train_and_validation():
    history = {"loss": [3, 2, 1], "val_loss": [3, 2.5, 2]}
    ax = plots.plot_history({"LSTM": history, "GRU": history}, "loss")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["LSTM train", "LSTM validation", "GRU train", "GRU validation"]
    with pytest.raises(KeyError, match="No 'accuracy'"):
        plots.plot_history(history, "accuracy")


def test_epoch_log_prints_one_line_of_metrics_per_epoch(capsys):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 2), "float32")
    model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=[epoch_log(every=2)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 2/3", "epoch 3/3"]
    assert "loss 0.0000" in lines[0] and " s" not in lines[0]


def test_shown_paths_reveal_no_machine_folders(tmp_path, monkeypatch):
    from helpers.data import course_root, shown

    monkeypatch.setenv("HOME", str(tmp_path))
    assert shown(tmp_path / ".cache" / "rnn-course") == "~/.cache/rnn-course"
    assert shown(course_root() / "build" / "music" / "a.mid") == "build/music/a.mid"
    assert shown("/srv/classroom/shared/datasets") == ".../shared/datasets"
