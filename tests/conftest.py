"""pytest configuration shared by the unit tests and nbval."""

import os

# TensorFlow's start-up noise off before any test imports it (see helpers.environment).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
