"""gunicorn settings for `make serve` and config/deploy/kaoping-web.service.

Every value can be overridden from the environment (the systemd EnvironmentFile).
"""

import multiprocessing
import os

# 2 × cores + 1 synchronous workers: each request holds one worker, and most of a request's
# time is spent waiting on PostgreSQL, so a little more than one per core keeps the CPU busy.
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * multiprocessing.cpu_count() + 1)
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A branch report PDF renders in the request (about 2.5 s); big reports go to the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# nginx on the same host sets X-Forwarded-*; trust only it.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
wsgi_app = "config.wsgi:application"
# gunicorn's runtime control socket would live under $HOME, which the unit makes read-only;
# systemctl reload (HUP) and restart are all the control a server needs.
control_socket_disable = True
