"""SavedModels for TF Serving and TF Hub: raw-text signatures with in-graph tokenization.

`export_model` writes one SavedModel with two kinds of signature:
  serving_default    raw strings -> task outputs (tokenized in the graph, exactly as
                     `tokenization.FullTokenizer`), e.g. class probabilities and labels;
  serving_features   int32 input_word_ids / input_mask / input_type_ids -> model outputs.
  embed              raw strings -> pooled text vectors (encoder, pretrainer, classifier,
                     squad, ner): `embeddings` float32 [batch, hidden].
A seq2seq model's serving_default generates: source strings -> output strings,
scores and wordpiece ids (tokenization, beam search and detokenization in the graph).
Pair models also get serving_pairs(text_a, text_b). `export_hub_pair` writes the
TF-Hub convention instead: a preprocessor SavedModel (text -> inputs, with `tokenize`
and `bert_pack_inputs(segments, seq_length)`) and an encoder SavedModel (inputs -> pooled_output,
sequence_output, encoder_outputs).
"""

from __future__ import annotations

import os
from typing import Sequence

import keras
import tensorflow as tf

from bert_tf import decoding, embeddings, models
from bert_tf.data import summarization as sum_data
from bert_tf.summarization import SENTENCE_INPUTS
from bert_tf.text import BertPreprocessor, detokenize
from bert_tf.errors import UsageError

MODEL_TYPES = ("encoder", "pretrainer", "classifier", "squad", "ner", "seq2seq", "summarizer")
_STRINGS = tf.TensorSpec([None], tf.string)
EMBED_TYPES = ("encoder", "pretrainer", "classifier", "squad", "ner")  # plain BertEncoder inputs


def _ids_spec() -> dict[str, tf.TensorSpec]:
    return {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in models.INPUT_NAMES}


def _encoder_of(model: keras.Model) -> models.BertEncoder:
    return model if isinstance(model, models.BertEncoder) else model.encoder


class ServingModule(tf.Module):
    """A task model with its preprocessing, ready for tf.saved_model.save.

    Args:
      model: the Keras model (encoder, pretrainer, classifier, span labeler or tagger).
      model_type: one of MODEL_TYPES.
      preprocessor: in-graph tokenization with the model's vocab and casing.
      labels: class names (classifier) or tags (ner), in id order.
      max_query_length, max_answer_length: SQuAD, as run_squad's flags.
      max_decode_length, beam_size, alpha: seq2seq, as run_seq2seq's flags.
      max_sentences, max_summary_sentences, block_trigram: summarizer, as
        run_summarization's flags.
      multi_label, multi_label_threshold: a run_classifier --multi_label classifier:
        independent sigmoid probabilities, and the labels at or above the threshold
        (joined by label_delimiter).
    """

    def __init__(self, model: keras.Model, model_type: str, preprocessor: BertPreprocessor,
                 labels: Sequence[str] | None = None, max_query_length: int = 64,
                 max_answer_length: int = 30, max_decode_length: int = 64, beam_size: int = 4,
                 alpha: float = 0.6, max_sentences: int = 64, max_summary_sentences: int = 3,
                 block_trigram: bool = True, pooling: str = "mean", normalize: bool = False,
                 multi_label: bool = False, multi_label_threshold: float = 0.5,
                 label_delimiter: str = ","):
        super().__init__(name=f"bert_{model_type}")
        if model_type not in MODEL_TYPES:
            raise UsageError(f"--model_type={model_type!r}: expected one of {MODEL_TYPES}")
        if model_type in ("classifier", "ner") and not labels:
            raise UsageError(f"a {model_type} export needs its label list")
        self.model, self.model_type, self.preprocessor = model, model_type, preprocessor
        self.labels = tf.constant(list(labels or [""]))
        self.regression = model_type == "classifier" and model.num_labels == 1
        self.max_query_length, self.max_answer_length = max_query_length, max_answer_length
        self.max_decode_length, self.beam_size, self.alpha = max_decode_length, beam_size, alpha
        self.max_sentences, self.max_summary_sentences = max_sentences, max_summary_sentences
        self.block_trigram = block_trigram
        self.multi_label, self.multi_label_threshold = multi_label, multi_label_threshold
        self.label_delimiter = label_delimiter
        self.pooling, self.normalize = embeddings.check_pooling(pooling), normalize
        vocab = sorted(preprocessor.vocab.items(), key=lambda kv: kv[1])
        self.vocab_tokens = tf.constant([t for t, _ in vocab])

    def features(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """The model's raw outputs on int32 inputs (inference mode)."""
        inputs = {k: tf.cast(v, tf.int32) for k, v in inputs.items()}
        out = self.model(inputs, training=False)
        if self.model_type == "encoder":
            out = {"pooled_output": out["pooled_output"], "sequence_output": out["sequence_output"]}
        return {k: tf.cast(v, tf.float32) for k, v in out.items()}

    def text(self, text_a: tf.Tensor, text_b: tf.Tensor | None = None) -> dict[str, tf.Tensor]:
        """Raw strings -> the task's outputs."""
        if self.model_type == "squad":
            return self._squad(text_a, text_b)
        if self.model_type == "ner":
            return self._ner(text_a)
        if self.model_type == "seq2seq":
            return self._generate(text_a)
        if self.model_type == "summarizer":
            return self._summarize(text_a)
        inputs = self.preprocessor(text_a, text_b)
        if self.model_type == "pretrainer":
            n, s = tf.shape(inputs["input_word_ids"])[0], tf.shape(inputs["input_word_ids"])[1]
            inputs["masked_lm_positions"] = tf.tile(tf.range(s)[None], [n, 1])
        out = self.features(inputs)
        if self.model_type == "classifier":
            if self.regression:
                return {"predictions": out["logits"][:, 0]}
            if self.multi_label:
                return self._multi_label(out["logits"])
            probabilities = tf.nn.softmax(out["logits"])
            return {"probabilities": probabilities, "logits": out["logits"],
                    "labels": tf.gather(self.labels, tf.argmax(probabilities, -1))}
        if self.model_type == "pretrainer":
            return {"nsp_probabilities": tf.nn.softmax(out["nsp_logits"]),
                    "predicted_tokens": tf.gather(self.vocab_tokens,
                                                  tf.argmax(out["mlm_logits"], -1)),
                    "input_word_ids": inputs["input_word_ids"]}
        return {**out, "input_word_ids": inputs["input_word_ids"], "input_mask": inputs["input_mask"]}

    def _multi_label(self, logits: tf.Tensor) -> dict[str, tf.Tensor]:
        """probabilities [batch, num_labels] (sigmoid), predicted [batch, num_labels] int32
        (probability >= threshold) and labels [batch]: the predicted labels joined by
        label_delimiter ("" for none)."""
        probabilities = tf.sigmoid(logits)
        predicted = probabilities >= self.multi_label_threshold
        n = tf.shape(logits)[0]
        names = tf.ragged.boolean_mask(tf.tile(self.labels[None], [n, 1]), predicted)
        return {"probabilities": probabilities, "logits": logits,
                "predicted": tf.cast(predicted, tf.int32),
                "labels": tf.strings.reduce_join(names, axis=1, separator=self.label_delimiter)}

    def embed(self, text_a: tf.Tensor) -> dict[str, tf.Tensor]:
        """Raw strings [batch] -> {"embeddings": float32 [batch, hidden]}, the encoder's
        pooled sequence output (as extract_features.py --pooling --normalize)."""
        inputs = self.preprocessor(text_a)
        out = _encoder_of(self.model)(inputs, training=False)
        return {"embeddings": embeddings.embed(out, inputs["input_mask"], self.pooling,
                                               self.normalize)}

    def _squad(self, question: tf.Tensor, context: tf.Tensor) -> dict[str, tf.Tensor]:
        """[CLS] question [SEP] context [SEP]; the best span within max_answer_length."""
        pre = self.preprocessor
        q = pre.tokenize(question)
        q = tf.ragged.boolean_mask(q, tf.ragged.range(q.row_lengths()) < self.max_query_length)
        words = pre.split_words(context)
        # Each word tokenized alone gives its share of the context's pieces.
        pieces = tf.RaggedTensor.from_row_splits(pre.tokenize(words.flat_values), words.row_splits)
        budget = pre.seq_length - 3 - tf.cast(q.row_lengths(), tf.int32)
        doc = pieces.merge_dims(1, 2)
        keep = tf.ragged.range(tf.cast(doc.row_lengths(), tf.int32)) < budget[:, None]
        doc = tf.ragged.boolean_mask(doc, keep)
        inputs = pre.pack(q, doc)
        out = self.features(inputs)
        start, end = out["start_logits"], out["end_logits"]
        s = tf.shape(start)[1]
        offset = tf.cast(q.row_lengths(), tf.int32) + 2  # first context position
        n_doc = tf.cast(doc.row_lengths(), tf.int32)
        pos = tf.range(s)[None]
        in_doc = (pos >= offset[:, None]) & (pos < (offset + n_doc)[:, None])
        scores = start[:, :, None] + end[:, None, :]
        i, j = tf.range(s)[:, None], tf.range(s)[None, :]
        valid = ((j >= i) & (j - i < self.max_answer_length))[None] & \
            in_doc[:, :, None] & in_doc[:, None, :]
        best = tf.argmax(tf.reshape(tf.where(valid, scores, -1e30), [-1, s * s]), -1,
                         output_type=tf.int32)
        start_pos, end_pos = best // s, best % s
        # Piece -> its word's index in the row: the answer is the whole words it touches
        # (run_squad's orig_text, before get_final_text trims it).
        global_word = pieces.values.value_rowids()
        local_word = global_word - tf.gather(pieces.row_splits, tf.gather(pieces.value_rowids(),
                                                                          global_word))
        word_of_piece = pieces.merge_dims(1, 2).with_flat_values(tf.cast(local_word, tf.int32))
        word_of_piece = tf.ragged.boolean_mask(word_of_piece, keep).to_tensor(-1)
        first = tf.gather(word_of_piece, start_pos - offset, batch_dims=1)
        last = tf.gather(word_of_piece, end_pos - offset, batch_dims=1)
        span = tf.ragged.boolean_mask(words, (tf.ragged.range(words.row_lengths()) >= tf.cast(
            first, tf.int64)[:, None]) & (tf.ragged.range(words.row_lengths()) <= tf.cast(
                last, tf.int64)[:, None]))
        return {"start_logits": start, "end_logits": end, "answer_start": start_pos,
                "answer_end": end_pos, "answer_text": tf.strings.reduce_join(span, axis=1,
                                                                               separator=" ")}

    def _ner(self, texts: tf.Tensor) -> dict[str, tf.Tensor]:
        """One tag per basic token (the first wordpiece's); tokens cut off by seq_length get ""."""
        pre = self.preprocessor
        tokens = pre.basic_tokens(texts)
        pieces = pre.wordpieces(tokens)
        inputs = pre.pack(pieces.merge_dims(1, 2))
        logits = self.features(inputs)["logits"]
        n_pieces = tf.cast(pieces.row_lengths(axis=2), tf.int32)
        first = tf.cumsum(n_pieces, axis=1, exclusive=True) + 1  # after [CLS]
        positions = first.to_tensor(-1)
        s = tf.shape(logits)[1]
        inside = (positions >= 0) & (positions < s - 1)
        ids = tf.gather(tf.argmax(logits, -1, output_type=tf.int32),
                        tf.clip_by_value(positions, 0, s - 1), batch_dims=1)
        tags = tf.where(inside, tf.gather(self.labels, ids), "")
        return {"tokens": tokens.to_tensor(""), "tags": tags}

    def _generate(self, texts: tf.Tensor) -> dict[str, tf.Tensor]:
        """Sources -> generated text (beam search, detokenized), its score and wordpiece ids."""
        pre = self.preprocessor
        ids, scores = decoding.generate(self.model, pre(texts), self.max_decode_length,
                                        pre.cls_id, pre.sep_id, self.beam_size, self.alpha)
        return {"outputs": detokenize(ids, self.vocab_tokens, pre.sep_id, (0, pre.cls_id)),
                "scores": scores, "output_ids": ids}

    def _summarize(self, documents: tf.Tensor) -> dict[str, tf.Tensor]:
        """Raw documents -> sentences, their scores and the summary (run_summarization's rules).

        Sentence splitting (`split_sentences_tf`), tokenization, packing (`pack_sentences`)
        and selection with trigram blocking (`select_sentences`) all run in the graph.
        """
        sentences, inputs = _pack_documents(self.preprocessor, documents, self.max_sentences)
        scores = self.features(inputs)["scores"]
        mask = tf.cast(inputs["sentence_mask"], tf.bool)
        chosen = _select(sentences, scores, mask, self.max_summary_sentences, self.block_trigram)
        picked = tf.ragged.boolean_mask(sentences, tf.RaggedTensor.from_tensor(
            chosen, lengths=sentences.row_lengths()))
        return {"summary": tf.strings.reduce_join(picked, axis=1, separator="\n"),
                "scores": scores, "selected": tf.cast(chosen, tf.int32),
                "sentences": sentences.to_tensor("")}


def _pack_documents(pre: BertPreprocessor, documents: tf.Tensor, max_sentences: int
                    ) -> tuple[tf.RaggedTensor, dict[str, tf.Tensor]]:
    """Documents [batch] -> (kept sentences tf.string [batch, (sentences)], model inputs):
    `[CLS] s1 [SEP] [CLS] s2 [SEP] ...` with interval segment ids, as `pack_sentences`."""
    sentences = sum_data.split_sentences_tf(documents)
    sentences = tf.ragged.boolean_mask(
        sentences, tf.ragged.range(sentences.row_lengths()) < max_sentences)
    pieces = tf.RaggedTensor.from_row_splits(pre.tokenize(sentences.flat_values),
                                             sentences.row_splits)  # [batch, (sent), (piece)]
    n = tf.cast(pieces.values.row_lengths(), tf.int32)  # per sentence, flat
    starts = tf.cast(sentences.row_starts(), tf.int32)
    doc_of = tf.cast(sentences.value_rowids(), tf.int32)
    ends = tf.cumsum(n + 2)
    start = ends - (n + 2) - tf.gather(tf.concat([[0], ends], 0), tf.gather(starts, doc_of))
    room = pre.seq_length - start - 2
    keep = room >= tf.minimum(n, 1)  # a prefix of each document, as start only grows
    kept = tf.RaggedTensor.from_value_rowids(tf.boolean_mask(sentences.values, keep),
                                             tf.boolean_mask(sentences.value_rowids(), keep),
                                             nrows=sentences.nrows())
    values = tf.ragged.boolean_mask(pieces.values, keep)
    room, start = tf.boolean_mask(room, keep), tf.boolean_mask(start, keep)
    values = tf.ragged.boolean_mask(values, tf.ragged.range(values.row_lengths())
                                    < tf.cast(room, tf.int64)[:, None])
    ones = tf.RaggedTensor.from_row_lengths(tf.ones_like(start), tf.ones_like(start, tf.int64))
    tokens = tf.concat([ones * pre.cls_id, values, ones * pre.sep_id], axis=1)
    index = tf.range(tf.size(start)) - tf.gather(tf.cast(kept.row_starts(), tf.int32),
                                                 tf.cast(kept.value_rowids(), tf.int32))
    segments = tokens.with_flat_values(tf.gather(index % 2, tokens.value_rowids()))
    shape = [None, pre.seq_length]

    def doc(t):  # per-sentence rows -> per-document rows, padded to seq_length
        return tf.cast(kept.with_values(t).merge_dims(1, 2).to_tensor(shape=shape), tf.int32)

    inputs = {"input_word_ids": doc(tokens), "input_mask": doc(tf.ones_like(tokens)),
              "input_type_ids": doc(segments),
              "cls_positions": kept.with_values(start).to_tensor(),
              "sentence_mask": kept.with_values(tf.ones_like(start)).to_tensor()}
    return kept, inputs


def _select(sentences: tf.RaggedTensor, scores: tf.Tensor, mask: tf.Tensor, k: int,
            block_trigram: bool) -> tf.Tensor:
    """`select_sentences` in the graph: bool [batch, sentences], the chosen ones."""
    s = tf.shape(scores)[1]
    text = tf.strings.lower(sentences.values, encoding="utf-8")
    text = tf.strings.regex_replace(text, sum_data.BLOCK_PUNCT, " ")
    text = tf.strings.regex_replace(text, f"({sum_data.CJK})", " \\1 ")
    grams = tf.strings.ngrams(tf.strings.split(text), 3, separator=" ")
    ids = grams.with_values(tf.strings.to_hash_bucket_fast(grams.values, 2 ** 62))
    ids = sentences.with_values(ids).to_tensor(-1)  # [batch, sentences, trigrams]
    ids = tf.pad(ids, [[0, 0], [0, s - tf.shape(ids)[1]], [0, 0]], constant_values=-1)
    same = (ids[:, :, None, :, None] == ids[:, None, :, None, :]) & (ids >= 0)[:, :, None, :, None]
    overlap = tf.reduce_any(same, axis=[3, 4]) & block_trigram  # [batch, s, s]
    # Highest score first; ties to the earlier sentence (a stable sort).
    order = tf.argsort(tf.where(mask, scores, -1.0), direction="DESCENDING", stable=True)

    def step(r, chosen):
        c = order[:, r]
        blocked = tf.reduce_any(tf.gather(overlap, c, batch_dims=1) & chosen, -1)
        count = tf.reduce_sum(tf.cast(chosen, tf.int32), -1)
        take = tf.gather(mask, c, batch_dims=1) & ~blocked & (count < k)
        return r + 1, chosen | (tf.one_hot(c, s, on_value=True, off_value=False) & take[:, None])

    _, chosen = tf.while_loop(lambda r, _: r < s, step, (0, tf.zeros_like(mask)))
    return chosen



def export_model(module: ServingModule, export_dir: str) -> str:
    """Saves `module` with serving_default, serving_features (and serving_pairs)."""
    kind = module.model_type
    features_spec = _ids_spec()
    if kind == "pretrainer":
        features_spec["masked_lm_positions"] = tf.TensorSpec([None, None], tf.int32,
                                                             name="masked_lm_positions")
    if kind == "seq2seq":  # teacher forcing: the next-token logits of a given target
        features_spec["decoder_input_ids"] = tf.TensorSpec([None, None], tf.int32,
                                                           name="decoder_input_ids")
    if kind == "summarizer":
        features_spec.update({name: tf.TensorSpec([None, None], tf.int32, name=name)
                              for name in SENTENCE_INPUTS})
    signatures = {"serving_features": tf.function(module.features,
                                                  input_signature=[features_spec])}
    if kind == "squad":
        default = tf.function(lambda question, context: module.text(question, context),
                              input_signature=[_STRINGS, _STRINGS])
    else:
        default = tf.function(lambda text_a: module.text(text_a), input_signature=[_STRINGS])
    signatures["serving_default"] = default
    if kind in ("encoder", "pretrainer", "classifier"):
        signatures["serving_pairs"] = tf.function(
            lambda text_a, text_b: module.text(text_a, text_b), input_signature=[_STRINGS] * 2)
    if kind in EMBED_TYPES:
        signatures["embed"] = tf.function(lambda text_a: module.embed(text_a),
                                          input_signature=[_STRINGS])
    # Concrete functions named after the signature inputs (REST clients use these names).
    signatures = {name: fn.get_concrete_function() for name, fn in signatures.items()}
    tf.saved_model.save(module, export_dir, signatures=signatures)
    return export_dir


def hub_encoder(encoder: models.BertEncoder) -> tf.train.Checkpoint:
    """The TF-Hub "reusable SavedModel" encoder: {input_word_ids, input_mask,
    input_type_ids} -> pooled_output, sequence_output, encoder_outputs, default.

    It keeps `variables` and `trainable_variables` as attributes and is traced
    with training=True (dropout) and False, so hub.KerasLayer(..., trainable=True)
    fine-tunes it as the original would.
    """
    @tf.function
    def call(inputs, training=False):
        out = encoder(inputs, training=training)
        return {"pooled_output": out["pooled_output"], "sequence_output": out["sequence_output"],
                "encoder_outputs": out["encoder_outputs"], "default": out["pooled_output"]}

    for training in (False, True):
        call.get_concrete_function(_ids_spec(), training=training)
    root = tf.train.Checkpoint(encoder=encoder)
    root.__call__ = call
    root.variables = list(encoder.variables)
    root.trainable_variables = list(encoder.trainable_variables)
    root.regularization_losses = []
    return root


class HubPreprocessor(tf.Module):
    """TF-Hub preprocessor, as the tfhub.dev BERT preprocessors (bert_en_uncased_preprocess):

      preprocessor(strings)        -> single-segment inputs (int32 [batch, seq_length])
      .tokenize(strings)           -> ids, RaggedTensor [batch, words, wordpieces]
      .bert_pack_inputs(segments, seq_length=<the exported max_seq_length>)
                                   -> [CLS] s0 [SEP] s1 [SEP] ..., trimmed round robin

    `segments` is a list of 1 to MAX_SEGMENTS tokenized batches (ragged rank 1 or 2);
    seq_length is an int32 scalar, so
    `hub.KerasLayer(pre.bert_pack_inputs, arguments=dict(seq_length=64))` works.
    """

    MAX_SEGMENTS = 3

    def __init__(self, preprocessor: BertPreprocessor):
        super().__init__(name="bert_preprocessor")
        self.preprocessor = preprocessor

        @tf.function(autograph=False)
        def bert_pack_inputs(segments, seq_length=preprocessor.seq_length):
            flat = [s.merge_dims(1, -1) if s.shape.rank > 2 else s for s in segments]
            return preprocessor.pack_segments(flat, seq_length)

        # A SavedModel keeps only traced signatures: every segment count and ragged
        # rank. Called without seq_length, the restored function passes its default.
        for ragged_rank in (1, 2):
            spec = tf.RaggedTensorSpec([None] * (ragged_rank + 1), tf.int32, ragged_rank, tf.int64)
            for count in range(1, self.MAX_SEGMENTS + 1):
                bert_pack_inputs.get_concrete_function([spec] * count,
                                                       seq_length=tf.TensorSpec([], tf.int32))
        self.bert_pack_inputs = bert_pack_inputs

    @tf.function(input_signature=[_STRINGS])
    def __call__(self, text):
        return self.preprocessor(text)

    @tf.function(input_signature=[_STRINGS])
    def tokenize(self, text):
        """Raw text -> wordpiece ids, RaggedTensor [batch, words, wordpieces]."""
        return self.preprocessor.wordpieces(self.preprocessor.basic_tokens(text))


def export_hub_pair(encoder: models.BertEncoder, preprocessor: BertPreprocessor,
                    export_dir: str) -> tuple[str, str]:
    """Writes <export_dir>/preprocessor and <export_dir>/encoder, the TF-Hub BERT convention."""
    pre_dir, enc_dir = os.path.join(export_dir, "preprocessor"), os.path.join(export_dir, "encoder")
    tf.saved_model.save(HubPreprocessor(preprocessor), pre_dir)
    tf.saved_model.save(hub_encoder(encoder), enc_dir)
    return pre_dir, enc_dir
