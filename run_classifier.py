"""BERT finetuning runner for sentence (pair) classification (the original's run_classifier.py).

  python run_classifier.py --task_name=MRPC --do_train=true --do_eval=true \
    --data_dir=$GLUE_DIR/MRPC --vocab_file=$BERT_BASE_DIR/vocab.txt \
    --bert_config_file=$BERT_BASE_DIR/bert_config.json \
    --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt --max_seq_length=128 \
    --train_batch_size=32 --learning_rate=2e-5 --num_train_epochs=3.0 --output_dir=/tmp/mrpc_output/

Every GLUE task, XNLI, and any TSV/CSV/JSONL file (--task_name=generic; with
--multi_label, several labels per example: docs/multilabel.md). Writes
eval_results.txt (the original's keys plus the task's metrics), test_results.tsv
(one row of class probabilities per test example) and test_predictions.tsv (labels).

  python run_classifier.py --demo     # fine-tunes all-MiniLM-L6-v2 on bundled sentiment data
"""

from absl import flags

from bert_tf import cli
from bert_tf.tasks.classification import ClassificationTask

cli.define_classifier_data_flags()
flags.DEFINE_string("litert_model", None,
                    "(new) Evaluate / predict with this .tflite model (export_model.py "
                    "--format=litert) instead of TensorFlow; same metrics and output files.")
flags.DEFINE_bool("demo", False,
                  "(new) Fine-tune the installed all-MiniLM-L6-v2 on the bundled sentiment data "
                  "(data/sentiment, installed as bert_tf/sample_data/sentiment) and print dev "
                  "accuracy; takes a few minutes on a CPU.")
flags.DEFINE_bool("multi_label", False,
                  "(new, generic) Each example has a set of labels (in TSV/CSV separated by "
                  "--label_delimiter, in JSONL a list): one sigmoid per label, binary cross "
                  "entropy; eval_results.txt reports micro/macro/per-label F1 and subset "
                  "accuracy. See docs/multilabel.md.")
flags.DEFINE_string("label_delimiter", ",",
                    "(new, --multi_label) What separates the labels of one TSV/CSV cell.")
flags.DEFINE_float("multi_label_threshold", 0.5,
                   "(new, --multi_label) A label is predicted when its probability is at "
                   "least this.", lower_bound=0.0, upper_bound=1.0)
flags.DEFINE_enum("truncation", "head", ["head", "tail", "head_tail"],
                  "(new) Which wordpieces a text longer than max_seq_length keeps: head (the "
                  "original: the first ones), tail (the last ones) or head_tail (the first "
                  "quarter, at most 128, and the rest from the end; Sun et al. 2019).")
cli.define_model_flags(max_seq_length=128)
cli.define_train_flags()
cli.define_restart_flags()

if __name__ == "__main__":
    cli.run_task(ClassificationTask)
