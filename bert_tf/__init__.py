"""bert_tf: Google's original BERT on TensorFlow 2 / Keras 3."""

import os

# Keep TensorFlow's C++ start-up notices (oneDNN, CUDA stubs) out of the scripts' output;
# an explicit TF_CPP_MIN_LOG_LEVEL still wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

__version__ = "0.1.0"
