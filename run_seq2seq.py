"""Sequence-to-sequence generation warm-started from BERT (bert2bert), in the original's style.

  python run_seq2seq.py --init_checkpoint=$BERT_DIR/bert_model.ckpt --do_lower_case=False \
    --train_file=train.tsv --eval_file=dev.tsv --do_train --do_eval \
    --max_source_length=128 --max_target_length=64 --train_batch_size=32 \
    --learning_rate=5e-5 --num_train_epochs=3.0 --output_dir=/tmp/translation

Rothe, Narayan and Severyn (TACL 2020): the encoder and the decoder both start from
the BERT checkpoint (--decoder_init=bert; `shared` ties them, `random` starts the
decoder from scratch); only the decoder's cross-attention is new. Files are TSV,
CSV or JSONL with --source_column and --target_column. --do_eval writes
eval_results.txt (eval_loss and BLEU with sacreBLEU, or ROUGE with rouge-score:
--metric) and eval_predictions.tsv; --do_predict writes predictions.tsv
(source, reference, hypothesis). Decoding is beam search (--beam_size, --alpha)
with a key/value cache; --beam_size=1 is greedy.
"""

from absl import flags

from bert_tf import cli, models, text_metrics
from bert_tf.tasks.seq2seq import Seq2SeqTask

flags.DEFINE_string("train_file", None, "TSV, CSV or JSONL file of training pairs.")
flags.DEFINE_string("eval_file", None, "File of pairs to evaluate on (--do_eval).")
flags.DEFINE_string("predict_file", None, "File of sources (targets optional) to generate for.")
flags.DEFINE_string("source_column", "source", "Source column: a header name, JSON key or "
                    "0-based index.")
flags.DEFINE_string("target_column", "target", "Target column: a header name, JSON key or "
                    "0-based index.")
flags.DEFINE_integer("max_source_length", 128, "Source wordpieces per example, with [CLS] "
                     "and [SEP]; longer sources are truncated (and counted in the log).",
                     lower_bound=3)
flags.DEFINE_integer("max_target_length", 64, "Target wordpieces in training, with the "
                     "start/end token; longer targets are truncated.", lower_bound=2)
flags.DEFINE_integer("max_decode_length", None, "Most wordpieces to generate (with the end "
                     "token); default: --max_target_length.")
flags.DEFINE_enum("decoder_init", None, list(models.DECODER_INITS),
                  "bert: decoder warm-started from the checkpoint (bert2bert); shared: the "
                  "decoder uses the encoder's weights (bertShare); random: decoder from scratch "
                  "(bert2rnd). Default: the run's own (run_info.json), else bert.")
flags.DEFINE_enum("decoder_word_table", None, list(models.DECODER_WORD_TABLES),
                  "(new) encoder: the decoder embeds and predicts with the encoder's word table; "
                  "own: a copy of its own, warm-started from the same checkpoint (Hugging Face's "
                  "EncoderDecoderModel). Default: the run's own (run_info.json), else encoder.")
flags.DEFINE_enum("target_vocab", "train", ["train", "all"],
                  "(new) train: the decoder outputs only wordpieces that occur in the training "
                  "targets (plus [SEP]); with BERT's 30k-word softmax a small data set otherwise "
                  "takes far longer to learn (README). all: the whole vocabulary.")
flags.DEFINE_integer("beam_size", 4, "Beam width; 1 is greedy decoding.")
flags.DEFINE_float("alpha", 0.6, "Length penalty ((5 + length) / 6) ** alpha of beam search.",
                   lower_bound=0.0)
flags.DEFINE_bool("padded_decode", False, "Pad every batch to the full batch size and "
                  "--max_source_length, so decoding has static shapes (TPUs; XLA compiles once).")
flags.DEFINE_float("label_smoothing", 0.0, "Label smoothing of the training loss, in [0, 1).")
flags.DEFINE_enum("metric", "bleu", ["bleu", "rouge"], "bleu (sacreBLEU, translation) or "
                  "rouge (rouge-score: rouge1, rouge2, rougeLsum; summarization).")
flags.DEFINE_enum("bleu_tokenize", "13a", list(text_metrics.BLEU_TOKENIZERS),
                  "sacreBLEU tokenizer: 13a (default), zh for Chinese, intl, char, ...")
cli.define_eval_flags("Whether to generate for --predict_file.")
cli.define_model_flags(max_seq_length=None)
cli.define_train_flags()

if __name__ == "__main__":
    cli.run_task(Seq2SeqTask)
