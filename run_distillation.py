"""Distil a fine-tuned BERT classifier into a smaller, faster student.

  # teacher: a run_classifier.py run directory; student: 3 of its 6 layers (DistilBERT's init)
  python run_distillation.py --teacher_dir=/tmp/bert_tf_demo --student_layers=3 \
    --output_dir=/tmp/bert_tf_student --do_eval

  # student: a smaller pretrained BERT with the same vocabulary (any --init_checkpoint form)
  python run_distillation.py --teacher_dir=/tmp/mrpc_output --init_checkpoint=uncased_L-4_H-256_A-4 \
    --hidden_weight=1.0 --output_dir=/tmp/mrpc_student --do_eval

Loss = kd_weight * T^2 * KL(teacher/T || student/T) + (1 - kd_weight) * cross entropy on the
gold labels (+ hidden_weight * MSE between mapped hidden states, through a learned
projection when the widths differ). --transfer_file adds unlabelled text (one example per
line, `text_a` or `text_a<TAB>text_b`) that only the teacher's soft targets label.
Task, data, sequence length and casing default to what the teacher's run_info.json
recorded; every run_classifier.py flag applies. The output directory is a normal
classifier run (bert_config.json, vocab.txt, run_info.json, model.ckpt-N under the
original names): run_classifier.py --init_checkpoint=<it> and export_model.py take it.
"""

from absl import flags

from bert_tf import cli
from bert_tf.tasks.distillation import DistillationTask

cli.define_classifier_data_flags()
flags.DEFINE_string("teacher_dir", None,
                    "(new) The teacher: a fine-tuning run directory (run_classifier.py "
                    "--output_dir) with bert_config.json, vocab.txt, run_info.json, model.ckpt-N.")
flags.DEFINE_integer("student_layers", None,
                     "(new) Build the student from the teacher's k evenly spaced layers (the top "
                     "one included). Otherwise --init_checkpoint names a smaller pretrained BERT "
                     "with the teacher's vocabulary.")
flags.DEFINE_float("kd_weight", 0.5, "(new) Weight of the soft-target (KL) term; 1 - kd_weight "
                   "weighs the gold-label cross entropy.")
flags.DEFINE_float("temperature", 2.0, "(new) Softmax temperature T of the soft-target term.")
flags.DEFINE_float("hidden_weight", 0.0, "(new) Weight of the per-layer hidden-state MSE "
                   "(student layer i vs the teacher layer it was mapped to); 0 = off.")
flags.DEFINE_string("transfer_file", None, "(new) Unlabelled text, one example per line "
                    "(text_a, or text_a<TAB>text_b), labelled by the teacher's soft targets.")
cli.define_model_flags(max_seq_length=128)
cli.define_train_flags()

if __name__ == "__main__":
    cli.run_task(DistillationTask)
