"""A whole lab deployment on one machine, for trying it and for the tests (`make cluster`).

Made only of servers people already run: a PostgreSQL primary and a streaming hot standby,
Redis, two web hosts (each with its own data folder, search index and gunicorn), one worker
and HAProxy in front. Everything lives under one folder (default `var/cluster` in the
checkout), so two checkouts never collide; `state.json` there records what was started.
"""
