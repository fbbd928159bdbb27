"""bench/upstream.py with gevent's monkey-patching, as gunicorn's gevent worker runs the bot.

    .venv/bin/python -m bench.upstream_gevent [--latency 50 150] [--repeats 5]

The parallel reads then run on greenlets instead of threads; the figures show what the web
process (the Procfile's) gets, where bench/upstream.py shows Socket Mode's real threads.
"""

from gevent import monkey

monkey.patch_all()  # before anything imports threading, socket or ssl

import sys  # noqa: E402

from bench.upstream import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
