"""Serve Statboard on a production server (granian).

python run.py [--host H] [--port P] [--workers N] [--migrate]
python run.py counters --port N     # only the counter API, for counter servers

Settings: STATBOARD_* environment variables over the settings file (STATBOARD_CONFIG,
else instance/statboard.env); `flask --app statboard check` checks them.
"""

import os

from statboard import supervisor

if __name__ == "__main__":
    if supervisor.HANDOVER in os.environ:  # run again by serve.py, to serve
        supervisor.main()
    else:
        from statboard.serve import main  # the preparations, not held while serving

        main()
