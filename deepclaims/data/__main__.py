"""``python -m deepclaims.data fetch DIR NAME...``: download real data sets (see fetch.py)."""
import sys

from deepclaims.data.fetch import main

if __name__ == "__main__":
    sys.exit(main())
