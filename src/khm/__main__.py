from __future__ import annotations

from khm.cli.main import run

if __name__ == "__main__":
    run()
