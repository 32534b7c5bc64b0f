"""One worker of the multi-worker test: trains a tiny classifier, saves its final weights.

With TF_CONFIG set it runs under MultiWorkerMirroredStrategy, each worker reading
its shard of the stream; without, it trains on one device with the same global batch.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import tensorflow as tf

_TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [_TESTS, os.path.dirname(_TESTS)]  # the tests' helpers, then bert_tf, installed or not
from test_training import _data, _dataset_fn, _loss  # noqa: E402

from bert_tf import models, training  # noqa: E402
from test_training import _config  # noqa: E402


def main(output_dir: str, weights_file: str) -> None:
    strategy = (training.build_strategy("multi_worker_mirrored") if "TF_CONFIG" in os.environ
                else None)
    cfg = training.TrainConfig(output_dir=output_dir, num_train_steps=6, learning_rate=1e-2,
                               num_warmup_steps=1, save_checkpoints_steps=3, seed=0)
    trainer = training.Trainer(lambda: models.BertClassifier(models.BertEncoder(_config()), 2,
                                                             dropout_rate=0.0),
                               _loss, cfg, strategy)
    trainer.restore()
    trainer.train(_dataset_fn(_data(), 16, seed=3), 16)
    np.savez(weights_file, **{v.path: v.numpy() for v in trainer.model.weights})


if __name__ == "__main__":
    main(*sys.argv[1:])
