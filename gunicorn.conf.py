"""gunicorn settings: several workers, and an access log that keeps no client details.

In production (``APP_ENV=production``) it refuses to start several workers
with ``memory://`` rate-limit storage: each worker would count on its own and
every limit would be multiplied by the number of workers (use Redis).

The access-log format deliberately leaves out the client address (%(h)s), the
time (%(t)s), the user agent (%(a)s), the referrer (%(f)s) and the query
string (%(q)s, which may hold an invite code): a time-stamped log line of
``POST /s/<slug>`` next to an address would identify a respondent.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
_storage = (os.environ.get("RATELIMIT_STORAGE_URI") or "").strip() or "memory://"
if (os.environ.get("APP_ENV") or "").strip().lower() == "production" and _storage.startswith("memory://") \
        and workers > 1:
    raise SystemExit(
        f"Refusing to start {workers} workers with RATELIMIT_STORAGE_URI=memory:// in production: every rate "
        "limit would be multiplied by the number of workers. Set RATELIMIT_STORAGE_URI=redis://host:6379 "
        "(or WEB_CONCURRENCY=1)."
    )
accesslog = "-"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# Worker-level timestamps in the error log are not tied to any response.
timeout = 30
graceful_timeout = 20
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket defaults to one path per user; several instances on one host would
# fight over it, and the app needs no runtime control channel.
control_socket_disable = True
