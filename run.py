"""Serve Statboard on a production server (granian).

python run.py [--host H] [--port P] [--workers N] [--migrate]
python run.py counters --port N     # only the counter API, for counter servers

Settings: STATBOARD_* environment variables over the settings file (STATBOARD_CONFIG,
else instance/statboard.env); `flask --app statboard check` checks them.
"""

from statboard.serve import main

if __name__ == "__main__":
    main()
