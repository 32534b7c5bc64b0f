"""Long documents: the window arithmetic of --doc_stride (hand-worked cases) and its flag check."""

import pytest

from bert_tf.data import packing
from bert_tf.errors import UsageError


def _spans(windows):
    """The text_a wordpieces ("t<i>") of each window, as (first, last + 1)."""
    out = []
    for tokens, _ in windows:
        ids = [int(t[1:]) for t in tokens if t.startswith("t")]
        out.append((ids[0], ids[-1] + 1))
    return out


def test_windows_of_one_text_follow_run_squads_arithmetic():
    a = [f"t{i}" for i in range(10)]
    # max_seq_length 6: 4 wordpieces per window; stride 3 -> [0,4) [3,7) [6,10)
    assert _spans(packing.window_tokens(a, None, 6, 3)) == [(0, 4), (3, 7), (6, 10)]
    # stride 5 > window 4: advances by the window, nothing skipped
    assert _spans(packing.window_tokens(a, None, 6, 5)) == [(0, 4), (4, 8), (8, 10)]
    tokens, segments = packing.window_tokens(a, None, 6, 3)[1]
    assert tokens == ["[CLS]", "t3", "t4", "t5", "t6", "[SEP]"] and segments == [0] * 6


def test_a_text_that_fits_is_one_window_equal_to_pack_tokens():
    a, b = ["t0", "t1"], ["x", "y"]
    assert packing.window_tokens(a, b, 16, 4) == [packing.pack_tokens(a, b, 16)]
    assert packing.window_tokens(a, None, 16, 4) == [packing.pack_tokens(a, None, 16)]


def test_pairs_keep_text_b_whole_and_window_text_a():
    a, b = [f"t{i}" for i in range(7)], ["x", "y"]
    # max_seq_length 8: 8 - 3 - 2 = 3 wordpieces of a per window, stride 2
    windows = packing.window_tokens(a, b, 8, 2)
    assert _spans(windows) == [(0, 3), (2, 5), (4, 7)]
    for tokens, segments in windows:
        assert tokens[-3:] == ["x", "y", "[SEP]"]
        assert segments == [0] * 5 + [1] * 3


@pytest.mark.parametrize("stride", [0, 8, 9])
def test_doc_stride_outside_1_to_max_seq_length_is_a_flag_error(stride):
    with pytest.raises(UsageError, match="--doc_stride"):
        packing.check_doc_stride(stride, 8)
    packing.check_doc_stride(7, 8)
    packing.check_doc_stride(None, 8)


def test_a_long_text_b_keeps_its_head_and_leaves_text_a_half():
    a, b = [f"t{i}" for i in range(6)], [f"x{i}" for i in range(20)]
    # max_seq_length 13: 10 free, text_a gets 10 // 2 = 5, text_b its first 5
    windows = packing.window_tokens(a, b, 13, 4)
    assert _spans(windows) == [(0, 5), (4, 6)]
    assert windows[0][0][7:] == ["x0", "x1", "x2", "x3", "x4", "[SEP]"]
    assert all(len(tokens) <= 13 for tokens, _ in windows)


@pytest.mark.parametrize("how", ["mean", "max"])
def test_aggregation_per_document_matches_numpy_per_group(how):
    import numpy as np
    from bert_tf.data import classifier

    rng = np.random.default_rng(0)
    doc_index = np.array([0, 0, 0, 1, 2, 2])
    logits = rng.normal(size=(6, 3)).astype(np.float32)
    got = classifier.aggregate_by_document(logits, doc_index, 3, how)
    reduce = np.mean if how == "mean" else np.max
    want = np.stack([reduce(logits[doc_index == d], axis=0) for d in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(UsageError, match="--doc_aggregation"):
        classifier.aggregate_by_document(logits, doc_index, 3, "median")
