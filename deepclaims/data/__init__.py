"""Data sets: embedded ones generated or shipped with an installed package, and real
ones loaded from ``--data-dir``. Nothing is downloaded."""
