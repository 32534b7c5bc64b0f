"""One module per task family; each defines a Task (bert_tf/tasks/base.py) for the runner."""
