"""Activation functions by their `bert_config.json` names."""

from __future__ import annotations

from typing import Callable

import tensorflow as tf


def gelu(x: tf.Tensor) -> tf.Tensor:
    """The original BERT GELU: the tanh approximation (config name "gelu").

    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), the original's formula; written
    as tf.nn.gelu so that oneDNN can fuse it into the preceding MatMul on CPU.
    """
    return tf.nn.gelu(x, approximate=True)


def gelu_exact(x: tf.Tensor) -> tf.Tensor:
    """The erf form, 0.5 x (1 + erf(x / sqrt 2)): Hugging Face's "gelu"."""
    return tf.nn.gelu(x, approximate=False)


_ACTIVATIONS: dict[str, Callable[[tf.Tensor], tf.Tensor] | None] = {
    "gelu": gelu,
    "gelu_exact": gelu_exact,
    "relu": tf.nn.relu,
    "tanh": tf.tanh,
    "linear": None,
}


def get_activation(name: str) -> Callable[[tf.Tensor], tf.Tensor] | None:
    """Maps a config activation name to a function (None for "linear")."""
    try:
        return _ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"Unsupported activation: {name!r}; expected one of "
                         f"{sorted(_ACTIVATIONS)}") from None
