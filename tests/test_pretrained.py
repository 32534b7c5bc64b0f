"""The pretrained registry against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import threading
import zipfile

import pytest

from bert_tf import pretrained
from bert_tf.errors import UsageError


def _zip(top_dir: str | None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        prefix = f"{top_dir}/" if top_dir else ""
        z.writestr(prefix + "bert_config.json", json.dumps({"vocab_size": 5}))
        z.writestr(prefix + "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhi\n")
        z.writestr(prefix + "bert_model.ckpt.index", b"index")
        z.writestr(prefix + "bert_model.ckpt.data-00000-of-00001", b"data")
    return buf.getvalue()


class _Server:
    """Serves `routes` {path: bytes}; `truncate` paths send half the body then close."""

    def __init__(self):
        self.routes, self.truncate, self.hits = {}, set(), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.hits.append(self.path)
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if self.path in server.truncate else body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


NAME = "uncased_L-2_H-128_A-2"


def test_download_verify_unpack_and_cache(server, tmp_path):
    body = _zip(None)  # the small BERTs' zips have no top-level directory
    server.routes[f"/2020_02_20/{NAME}.zip"] = body
    files = pretrained.get(NAME, cache=str(tmp_path), progress=False, base_url=server.url)
    assert files.do_lower_case and files.checkpoint == str(tmp_path / NAME / "bert_model.ckpt")
    assert open(files.vocab_file).read().startswith("[PAD]")
    assert (tmp_path / NAME / "SHA256").read_text().split()[0] == hashlib.sha256(body).hexdigest()
    again = pretrained.get(NAME, cache=str(tmp_path), progress=False, base_url=server.url)
    assert again == files and len(server.hits) == 1  # the second call uses the cache
    assert [p.name for p in tmp_path.iterdir()] == [NAME]  # no temporary files left


def test_top_level_directory_and_pinned_checksum(server, tmp_path, monkeypatch):
    body = _zip("cased_L-12_H-768_A-12")
    server.routes["/2018_10_18/cased_L-12_H-768_A-12.zip"] = body
    good = pretrained.Release("2018_10_18/cased_L-12_H-768_A-12.zip", False,
                              hashlib.sha256(body).hexdigest())
    monkeypatch.setitem(pretrained.RELEASES, "cased_L-12_H-768_A-12", good)
    files = pretrained.get("cased_L-12_H-768_A-12", cache=str(tmp_path), progress=False,
                           base_url=server.url)
    assert not files.do_lower_case


def test_wrong_checksum_leaves_cache_clean(server, tmp_path, monkeypatch):
    server.routes[f"/2020_02_20/{NAME}.zip"] = _zip(None)
    monkeypatch.setitem(pretrained.RELEASES, NAME,
                        pretrained.Release(f"2020_02_20/{NAME}.zip", True, "0" * 64))
    with pytest.raises(pretrained.DownloadError, match="checksum mismatch.*nothing was cached"):
        pretrained.get(NAME, cache=str(tmp_path), progress=False, base_url=server.url)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_then_retry(server, tmp_path):
    path = f"/2020_02_20/{NAME}.zip"
    server.routes[path] = _zip(None)
    server.truncate.add(path)
    with pytest.raises(pretrained.DownloadError, match="interrupted|could not download"):
        pretrained.get(NAME, cache=str(tmp_path), progress=False, base_url=server.url)
    assert list(tmp_path.iterdir()) == []
    server.truncate.clear()
    assert pretrained.get(NAME, cache=str(tmp_path), progress=False, base_url=server.url)


def test_http_error_no_network_and_unknown_name(server, tmp_path):
    with pytest.raises(pretrained.DownloadError, match="HTTP 404"):
        pretrained.get(NAME, cache=str(tmp_path), progress=False, base_url=server.url)
    with socket.socket() as s:  # a loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(pretrained.DownloadError, match="could not download .*pass its directory"):
        pretrained.get(NAME, cache=str(tmp_path), progress=False,
                       base_url=f"http://127.0.0.1:{closed}")
    with pytest.raises(UsageError, match="unknown pretrained model 'bert-base'"):
        pretrained.get("bert-base")
    assert pretrained.resolve_init_checkpoint("/some/path/bert_model.ckpt") is None


def test_bad_zip(server, tmp_path):
    server.routes[f"/2020_02_20/{NAME}.zip"] = b"not a zip"
    with pytest.raises(pretrained.DownloadError, match="not a valid zip"):
        pretrained.get(NAME, cache=str(tmp_path), progress=False, base_url=server.url)


def test_minilm_resolves_offline(minilm):
    files = pretrained.resolve_init_checkpoint("all-MiniLM-L6-v2")
    assert files.checkpoint.endswith("model.safetensors") and files.do_lower_case
    assert files.config_file == str(minilm / "config.json")


def test_registry_covers_the_releases():
    assert len([n for n in pretrained.RELEASES if n.startswith("uncased_L-") and "_H-" in n]) >= 24
    for name in ("uncased_L-12_H-768_A-12", "cased_L-24_H-1024_A-16", "multi_cased_L-12_H-768_A-12",
                 "chinese_L-12_H-768_A-12", "wwm_uncased_L-24_H-1024_A-16"):
        assert name in pretrained.RELEASES
