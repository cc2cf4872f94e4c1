"""Data sets: embedded ones generated or shipped with an installed package, and real
ones read from the folders the run searches (--data-dir, $DEEPCLAIMS_DATA,
/usr/share/datasets). Runs never download; ``python -m deepclaims.data fetch`` does,
checked against published checksums (see ``fetch``)."""
