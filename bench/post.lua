-- wrk script: POST to the URL given on the command line.
wrk.method = "POST"
