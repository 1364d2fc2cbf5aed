# The course in a few commands. Every target creates .venv and installs on first use.
#   make lab        JupyterLab on notebooks/
#   make test       ruff (code and notebooks), unit tests, nbval over every notebook in fast mode
#   make run        every notebook headless in full mode into build/run/, with a summary
#   make reference  regenerate the committed outputs of notebooks/ (full mode, CPU)
#   make bench      time every notebook (MODE=fast|full) into results/, update README tables
#   make student    student versions in student/;  make grade SUBMISSIONS=<folder>
# Options: NOTEBOOKS="notebooks/01_memory_cell.ipynb ..." limits run/reference; MODE=fast|full for run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NOTEBOOKS ?= $(sort $(wildcard notebooks/[0-9]*.ipynb))
MODE ?= full
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv lab test lint format run reference bench bench-grading student grade compat clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) tools/check_python.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-input -r requirements.txt -e .
	@touch $(STAMP)

venv: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	RNN_COURSE_FAST=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

run: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --mode $(MODE) --out build/run $(NOTEBOOKS)

reference: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --mode full --reference --results auto $(NOTEBOOKS)

# make student: student versions of every notebook in student/ (solutions out, outputs cleared).
student: $(STAMP)
	$(BIN)/python -m instructor.student_versions --out student $(NOTEBOOKS)

# make grade SUBMISSIONS=<folder> [UNIT=01_memory_cell] [JOBS=2] [SHARD=i/n] [CELL_TIMEOUT=120]:
# gradebook.csv, feedback/ and gradescope/ in grading/ (a part file with SHARD; then
# `python -m instructor.grading merge grading`). Each exercise runs in its own sandboxed
# process on hidden inputs; still run grading in a container.
CELL_TIMEOUT ?= 120
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "Usage: make grade SUBMISSIONS=<folder of notebooks>"; exit 2; }
	$(BIN)/python -m instructor.grading "$(SUBMISSIONS)" --out grading --timeout $(CELL_TIMEOUT) $(if $(UNIT),--unit $(UNIT)) $(if $(JOBS),--jobs $(JOBS)) $(if $(SHARD),--shard $(SHARD))

# make compat: every notebook in fast mode in a throw-away environment per supported corner
# (Python 3.10 and 3.12 with the oldest supported TensorFlow/Keras, Python 3.12 with the pins),
# into results/compat.json and the README. Needs python3.10 and python3.12 (PATH or pyenv).
compat: $(STAMP)
	$(BIN)/python tools/compat.py
	$(BIN)/python tools/readme_tables.py

clean:
	rm -rf build .pytest_cache .ruff_cache

# make bench [MODE=fast|full]: run every notebook, record times, memory and key results in
# results/<mode>-<cpu|gpu>.json (committed), report budgets, regenerate the README tables.
bench: bench-grading
	$(BIN)/python tools/run_notebooks.py --mode $(MODE) --out build/bench-$(MODE) --results auto $(NOTEBOOKS)
	$(BIN)/python tools/readme_tables.py

# make bench-grading: grade 40 submissions with --jobs 1 and 2 into results/grading-bench.json.
bench-grading: $(STAMP)
	RNN_COURSE_FAST=1 $(BIN)/python tools/bench_grading.py
