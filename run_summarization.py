"""Extractive summarization with BERT (BertSumExt, Liu and Lapata 2019), in the original's style.

  python run_summarization.py --data_dir=$DATA --init_checkpoint=$BERT_BASE_DIR/bert_model.ckpt \
    --do_train --do_eval --do_predict --max_seq_length=512 --train_batch_size=32 \
    --learning_rate=5e-5 --num_train_epochs=3.0 --output_dir=/tmp/sum_output/

Data: .jsonl files ({"text": "..."} or {"sentences": [...]}, plus "summary"),
CNN/DailyMail .story files or a directory of them (`@highlight` lines are the
summary), and for --predict_file also plain text (one document per line). Raw text
is split into sentences by `bert_tf.data.summarization.split_sentences` (English
and CJK punctuation; no Java). --data_dir holds train.jsonl, dev.jsonl, test.jsonl.

Training labels are the greedy oracle (--oracle_sentences). Inference ranks the
sentences by score, skips one sharing a trigram with a chosen one (--block_trigram),
keeps --max_summary_sentences, in document order. Writes eval_results.txt (ROUGE-1/2/Lsum
F1 with 95% bootstrap intervals, rouge-score with a tokenizer that keeps CJK text; the same
for Lead-3 and the Oracle on that data) and predictions.jsonl (chosen sentence indices,
every sentence's score, the summary text).
Documents beyond --max_seq_length wordpieces are cut, counted and logged; above the
checkpoint's 512 positions pass --max_position_embeddings (new rows start as the last
learned one). --sentence_pooling=mean takes each sentence's mean token vector instead of
its [CLS] vector, for checkpoints trained with mean pooling (sentence-transformers).
"""

from absl import flags

from bert_tf import cli, summarization
from bert_tf.tasks.summarization import SummarizationTask

flags.DEFINE_string("data_dir", None, "Directory with train.jsonl, dev.jsonl and test.jsonl.")
flags.DEFINE_string("train_file", None, "Training .jsonl / .story file or .story directory.")
flags.DEFINE_string("eval_file", None, "Evaluation file (overrides --data_dir's dev.jsonl).")
flags.DEFINE_string("predict_file", None, "Documents to summarize: .jsonl, .story, or plain text "
                    "with one document per line (overrides --data_dir's test.jsonl).")
cli.define_eval_flags("Whether to summarize --predict_file.")
flags.DEFINE_integer("inter_layers", 2, "Transformer layers over the sentence vectors.")
flags.DEFINE_enum("sentence_pooling", "cls", list(summarization.SENTENCE_POOLING),
                  "A sentence's vector: its [CLS] vector (BertSumExt), or the mean of its "
                  "tokens' vectors, for checkpoints trained with mean pooling (sentence-"
                  "transformers such as all-MiniLM-L6-v2).")
flags.DEFINE_integer("max_sentences", 64, "Most sentences of a document the model sees.")
flags.DEFINE_integer("oracle_sentences", 3, "Most sentences of the greedy oracle (the labels).")
flags.DEFINE_integer("max_summary_sentences", 3, "Sentences in a predicted summary.")
flags.DEFINE_bool("block_trigram", True, "Skip a sentence sharing a trigram with a chosen one.")
flags.DEFINE_integer("max_position_embeddings", None,
                     "Grow the position table to this many rows (>= the checkpoint's) for "
                     "--max_seq_length beyond it; new rows start as the last learned one.")
cli.define_model_flags(max_seq_length=512)
cli.define_train_flags()

if __name__ == "__main__":
    cli.run_task(SummarizationTask)
