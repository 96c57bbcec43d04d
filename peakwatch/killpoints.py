"""Stage boundaries of a run: where the console's progress bar moves on
(``peakwatch.progress``), and where a test can kill it.

``tests/flows/test_kill_at_every_stage.py`` runs ``peakwatch run`` with
``PEAKWATCH_TEST_KILL_AT=<stage>``: the process SIGKILLs itself the moment
that stage is done, exactly there, so that a rerun can be checked for what a
crash at that point leaves. Without the variable (always, outside that test)
``stage_done`` does nothing.
"""

import os
import signal

from peakwatch import progress

ENV = "PEAKWATCH_TEST_KILL_AT"
# In run order: sources pulled, the gate passed, every series fitted, the
# payload whole in pending/, its child runs and warnings in MLflow, its report
# written and the parent run finished (not yet moved to runs/).
STAGES = ("pull", "gate", "fit", "payload", "publish", "report")


def stage_done(stage: str) -> None:
    progress.report(stage)
    if os.environ.get(ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)
