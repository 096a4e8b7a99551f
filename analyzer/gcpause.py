"""The cyclic garbage collector paused while a reader or renderer makes many small objects.

Reading a log or a dump makes hundreds of thousands of small objects and no reference cycle;
each automatic collection walks every object made so far again and finds nothing (about a
fifth of reading a Schannel-heavy log, about 5% of reading a certutil dump). Collection is off
inside the block and on again after it, as it was before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
