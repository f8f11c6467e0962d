"""Serve Statboard on a production WSGI server.

python run.py [--host H] [--port P] [--workers N]
python run.py counters --port N     # only the counter API, for counter servers
"""

from statboard.serve import main

if __name__ == "__main__":
    main()
