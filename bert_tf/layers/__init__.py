"""Keras layers of the BERT encoder and its heads."""

from bert_tf.layers.activations import gelu, gelu_exact, get_activation
from bert_tf.layers.attention import SelfAttention, attention_mask_adder
from bert_tf.layers.decoder import DecoderBlock
from bert_tf.layers.embeddings import BertEmbeddings
from bert_tf.layers.heads import MaskedLMHead, OutputProjection
from bert_tf.layers.transformer import TransformerBlock

__all__ = ["BertEmbeddings", "DecoderBlock", "MaskedLMHead", "OutputProjection", "SelfAttention",
           "TransformerBlock", "attention_mask_adder", "gelu", "gelu_exact", "get_activation"]
