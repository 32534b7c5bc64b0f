"""BERT fine-tuning for named-entity recognition (token tagging), in the original's style.

  python run_ner.py --data_dir=$CONLL_DIR --vocab_file=$BERT_BASE_DIR/vocab.txt \
    --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --do_lower_case=False \
    --do_train --do_eval --do_predict --max_seq_length=128 --train_batch_size=32 \
    --learning_rate=2e-5 --num_train_epochs=3.0 --output_dir=/tmp/ner_output/

--data_dir holds train.txt, dev.txt and test.txt in CoNLL-2003 format (one token
per line, tag in the last column, blank line between sentences) or .jsonl files
with "tokens" and "tags"; --train_file/--eval_file/--predict_file name files
directly. Writes eval_results.txt (entity precision/recall/F1 with seqeval) and
test_predictions.txt (`word [gold] predicted` per line, aligned to the input words).
"""

from absl import flags

from bert_tf import cli
from bert_tf.tasks.ner import NerTask

flags.DEFINE_string("data_dir", None, "Directory with train.txt, dev.txt and test.txt "
                    "(CoNLL format) or .jsonl files.")
flags.DEFINE_string("train_file", None, "Training file (overrides --data_dir's train.txt).")
flags.DEFINE_string("eval_file", None, "Evaluation file (overrides --data_dir's dev.txt).")
flags.DEFINE_string("predict_file", None, "Prediction file (overrides --data_dir's test.txt).")
flags.DEFINE_list("label_list", None, "The tags, in id order; default: the run directory's, else the training "
                  "file's.")
cli.define_eval_flags("Whether to tag the test set.")
cli.define_model_flags(max_seq_length=128)
cli.define_train_flags()
cli.define_restart_flags()

if __name__ == "__main__":
    cli.run_task(NerTask)
